import { describe, expect, it } from 'vitest';
import type { BatchEvent } from '../model/batch.ts';
import { eventTimeMs, matchesDataPoint, observeEvent } from './observations.ts';
import {
  batchOf,
  customEvent,
  definitionOf,
  HOUR,
  impressions,
  NOW,
  productAction,
  promotionAction,
  screenView,
} from './test-batches.ts';

const T = NOW - HOUR;
const PRODUCTS = [
  { id: 'sku-1', name: 'Sock', brand: 'Acme', category: 'Apparel', price: 5, quantity: 3, coupon_code: 'WINTER', custom_attributes: { color: 'red' } },
  { id: 'sku-2', name: 'Shoe', brand: 'Bolt', category: 'Footwear', price: '60.5', quantity: 1, custom_attributes: { color: 'blue' } },
];
const noBatchTime = batchOf([]);

function values(def: ReturnType<typeof definitionOf>, event: BatchEvent): unknown {
  return observeEvent(def, event, noBatchTime, NOW)?.values.map((v) => (v.weight === 1 ? v.value : [v.value, v.weight]));
}

describe('observeEvent: which events are the data point', () => {
  const play = definitionOf('count', { event_name: 'Play' });
  const playMedia = definitionOf('count', { event_name: 'Play', custom_event_type: 'media' });

  it.each<[string, ReturnType<typeof definitionOf>, BatchEvent, boolean]>([
    ['a custom event of that name', play, customEvent('Play', {}, T), true],
    ['another name', play, customEvent('Pause', {}, T), false],
    ['the name in another case (names are exact)', play, customEvent('play', {}, T), false],
    ['a screen view of that name', play, screenView('Play', T), false],
    ['the custom event type asked for', playMedia, customEvent('Play', {}, T, 'media'), true],
    ['another custom event type', playMedia, customEvent('Play', {}, T, 'navigation'), false],
    ['a screen', definitionOf('count', { event_type: 'screen_view', event_name: 'Home' }), screenView('Home', T), true],
    ['another screen', definitionOf('count', { event_type: 'screen_view', event_name: 'Home' }), screenView('Cart', T), false],
    ['any session start', definitionOf('count', { event_type: 'session_start', event_name: 'ignored' }), { event_type: 'session_start', data: {} }, true],
    ['a purchase', definitionOf('count', { event_type: 'commerce_event', event_name: 'Purchase', custom_event_type: 'purchase' }), productAction('purchase', PRODUCTS), true],
    ['a purchase of another event name', definitionOf('count', { event_type: 'commerce_event', event_name: 'Purchase', custom_event_type: 'purchase' }), productAction('purchase', PRODUCTS, { eventName: 'Refund!' }), false],
    ['an add to cart, for a purchase', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'purchase' }), productAction('add_to_cart', PRODUCTS), false],
    ['any commerce event', definitionOf('count', { event_type: 'commerce_event' }), promotionAction('view', []), true],
    ['remove_from_wish_list as remove_from_wishlist', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'remove_from_wishlist' }), productAction('remove_from_wish_list', PRODUCTS), true],
    ['a promotion view', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'view' }), promotionAction('view', [{ id: 'p' }]), true],
    ['a promotion click, for promotion attributes', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'click', attribute_category: 'promotion_attribute' }), promotionAction('click', [{ id: 'p' }]), true],
    ['a product click, for promotion attributes', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'click', attribute_category: 'promotion_attribute' }), productAction('click', PRODUCTS), false],
    ['a product click, for product attributes', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'click', attribute_category: 'product_attribute' }), productAction('click', PRODUCTS), true],
    ['a promotion click, for event attributes', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'click' }), promotionAction('click', []), true],
    ['product impressions', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'impression' }), impressions(PRODUCTS), true],
    ['a purchase, for impressions', definitionOf('count', { event_type: 'commerce_event', custom_event_type: 'impression' }), productAction('purchase', PRODUCTS), false],
  ])('%s', (_name, def, event, expected) => {
    expect(matchesDataPoint(def.datapoint, event)).toBe(expected);
    expect(observeEvent(def, event, noBatchTime, NOW) !== undefined).toBe(expected);
  });
});

describe('observeEvent: time', () => {
  const def = definitionOf('first_occurrence_timestamp', { event_type: 'commerce_event' });
  const batch = batchOf([], { timestamp_unixtime_ms: NOW - 5 * HOUR });

  it("uses the event's timestamp, else the batch's, else the receive time", () => {
    expect(eventTimeMs(customEvent('Play', {}, T), batch, NOW)).toBe(T);
    expect(eventTimeMs(customEvent('Play', {}, null), batch, NOW)).toBe(NOW - 5 * HOUR);
    expect(eventTimeMs(customEvent('Play', {}, null), noBatchTime, NOW)).toBe(NOW);
  });

  it('reports the batch timestamp for commerce events (the Reference), the event time for the rest', () => {
    expect(observeEvent(def, productAction('purchase', PRODUCTS, { atMs: T }), batch, NOW)).toMatchObject({ atMs: T, stampMs: NOW - 5 * HOUR });
    expect(observeEvent(def, productAction('purchase', PRODUCTS, { atMs: T }), noBatchTime, NOW)).toMatchObject({ atMs: T, stampMs: T });
    const play = definitionOf('first_occurrence_timestamp');
    expect(observeEvent(play, customEvent('Play', {}, T), batch, NOW)).toMatchObject({ atMs: T, stampMs: T });
  });
});

describe('observeEvent: values', () => {
  it("takes an event attribute's one value, none when it is missing, null or empty", () => {
    const def = definitionOf('unique_list', { attribute_name: 'title' });
    expect(values(def, customEvent('Play', { title: 'Up' }, T))).toEqual(['Up']);
    expect(values(def, customEvent('Play', { title: 7 }, T))).toEqual([7]);
    for (const attrs of [{}, { title: null }, { title: '' }, null, { Title: 'Up' }]) expect(values(def, customEvent('Play', attrs, T))).toEqual([]);
  });

  it('gives count and the timestamps no values: they look at events', () => {
    expect(values(definitionOf('count', { attribute_name: 'title' }), customEvent('Play', { title: 'Up' }, T))).toEqual([]);
  });

  it('reads the product action of a commerce event when no custom attribute has the name', () => {
    const def = definitionOf('sum', { event_type: 'commerce_event', custom_event_type: 'purchase', attribute_name: 'Total Amount' });
    expect(values(def, productAction('purchase', PRODUCTS, { totalAmount: 65.5 }))).toEqual([65.5]);
    expect(values(def, productAction('purchase', PRODUCTS, { totalAmount: 65.5, attributes: { 'Total Amount': '70' } }))).toEqual(['70']);
    const currency = definitionOf('most_frequent', { event_type: 'commerce_event', attribute_name: 'currency_code' });
    expect(values(currency, productAction('purchase', PRODUCTS))).toEqual(['USD']);
  });

  it.each<[string, unknown[]]>([
    ['name', ['Sock', 'Shoe']],
    ['Brand', ['Acme', 'Bolt']],
    ['price', [5, '60.5']],
    ['Coupon Code', ['WINTER']],
    ['SKU', ['sku-1', 'sku-2']],
    ['color', ['red', 'blue']],
    ['size', []],
  ])('takes one value per product: %s', (attribute, expected) => {
    const def = definitionOf('unique_list', { event_type: 'commerce_event', attribute_name: attribute, attribute_category: 'product_attribute' });
    expect(values(def, productAction('purchase', PRODUCTS))).toEqual(expected);
  });

  it('weighs products by quantity under use_product_quantity (1 when it has none)', () => {
    const def = definitionOf('average', {
      event_type: 'commerce_event', attribute_name: 'price', attribute_category: 'product_attribute', use_product_quantity: true,
    });
    expect(values(def, productAction('purchase', [...PRODUCTS, { price: 1 }, { price: 2, quantity: 0 }]))).toEqual([[5, 3], '60.5', 1, 2]);
  });

  it('takes the products of impressions', () => {
    const def = definitionOf('unique_list', { event_type: 'commerce_event', custom_event_type: 'impression', attribute_name: 'name', attribute_category: 'product_attribute' });
    expect(values(def, impressions(PRODUCTS))).toEqual(['Sock', 'Shoe']);
    const any = definitionOf('unique_list', { event_type: 'commerce_event', attribute_name: 'name', attribute_category: 'product_attribute' });
    expect(values(any, impressions(PRODUCTS))).toEqual(['Sock', 'Shoe']);
  });

  it('takes one value per promotion', () => {
    const def = definitionOf('unique_list', { event_type: 'commerce_event', custom_event_type: 'click', attribute_name: 'creative', attribute_category: 'promotion_attribute' });
    expect(values(def, promotionAction('click', [{ id: 'p1', creative: 'banner' }, { id: 'p2' }, { id: 'p3', creative: 'tile' }]))).toEqual(['banner', 'tile']);
  });
});

describe('observeEvent: conditions', () => {
  const genre = [{ type: 'string', operator: 'equals', attribute_name: 'genre', value: 'drama' }];

  it('checks event attributes', () => {
    const def = definitionOf('count', {}, { conditions: genre });
    expect(observeEvent(def, customEvent('Play', { genre: 'Drama' }, T), noBatchTime, NOW)).toBeDefined();
    expect(observeEvent(def, customEvent('Play', { genre: 'Comedy' }, T), noBatchTime, NOW)).toBeUndefined();
    expect(observeEvent(def, customEvent('Play', null, T), noBatchTime, NOW)).toBeUndefined();
  });

  it('checks each product, falling back to the event attributes; only passing products give values', () => {
    const conditions = [
      { type: 'string', operator: 'contains', attribute_name: 'name', value: 'so' },
      { type: 'string', operator: 'in_list', attribute_name: 'channel', values: ['web'] },
    ];
    const def = definitionOf('unique_list', { event_type: 'commerce_event', attribute_name: 'name', attribute_category: 'product_attribute' }, { conditions });
    expect(values(def, productAction('purchase', PRODUCTS, { attributes: { channel: 'web' } }))).toEqual(['Sock']);
    expect(values(def, productAction('purchase', PRODUCTS, { attributes: { channel: 'app' } }))).toBeUndefined();
    const appProduct = [{ ...PRODUCTS[0], custom_attributes: { channel: 'WEB' } }];
    expect(values(def, productAction('purchase', appProduct, { attributes: { channel: 'app' } }))).toEqual(['Sock']);
  });

  it('counts an event once if one of its products passes, and checks an event without products against its own attributes', () => {
    const conditions = [{ type: 'number', operator: 'greater_than', attribute_name: 'price', value: '50' }];
    const def = definitionOf('count', { event_type: 'commerce_event', attribute_category: 'product_attribute' }, { conditions });
    expect(observeEvent(def, productAction('purchase', PRODUCTS), noBatchTime, NOW)).toMatchObject({ values: [] });
    expect(observeEvent(def, productAction('purchase', [PRODUCTS[0]!]), noBatchTime, NOW)).toBeUndefined();
    expect(observeEvent(def, productAction('purchase', [], { attributes: { price: 99 } }), noBatchTime, NOW)).toBeDefined();
    expect(observeEvent(def, productAction('purchase', []), noBatchTime, NOW)).toBeUndefined();
  });
});
