import { describe, expect, it } from 'vitest';
import type { Batch, BatchEvent } from '../../../model/batch.ts';
import type { Settings } from '../../output.ts';
import { BRAZE_SETTINGS, brazeTrackRequests } from './braze.ts';
import { iosBatch, MPID, streamBatch, T } from '../../../../test/fixtures/partner-batches.ts';

const SETTINGS: Settings = { api_key: 'braze-key', rest_endpoint: 'https://rest.iad-01.braze.com' };

interface TrackBody {
  attributes?: Record<string, unknown>[];
  events?: Record<string, unknown>[];
  purchases?: Record<string, unknown>[];
}
const bodiesOf = (batches: Batch[], settings: Settings = SETTINGS) =>
  brazeTrackRequests(batches.map((b, i) => streamBatch(b, 41 + i)), settings).map((r) => JSON.parse(r.body) as TrackBody);
const withEvents = (batch: Batch, ...events: BatchEvent[]): Batch => ({ ...batch, events });
const iso = (ms: number) => new Date(ms).toISOString();

describe('braze settings', () => {
  it('has a confidential REST key, a required REST endpoint, and the page\'s settings that shape the mapping', () => {
    const byName = new Map(BRAZE_SETTINGS.map((s) => [s.name, s]));
    expect(byName.get('api_key')).toMatchObject({ type: 'string', is_required: true, is_confidential: true });
    expect(byName.get('rest_endpoint')).toMatchObject({ type: 'url', is_required: true });
    expect(byName.get('rest_endpoint')?.description).toContain('https://rest.iad-01.braze.com');
    expect(byName.get('external_identity_type')).toMatchObject({ default: 'customer_id' });
    expect(byName.get('email_identity_type')).toMatchObject({ default: 'email' });
    expect(byName.get('user_tags_value')).toMatchObject({ default: 'true', one_of: ['true', 'null'] });
    expect(byName.get('enable_api_custom_attribute_type_detection')).toMatchObject({ default: 'none' });
    for (const s of BRAZE_SETTINGS) expect(['string', 'bool', 'int', 'url']).toContain(s.type);
  });
});

describe('brazeTrackRequests', () => {
  it('maps an iOS batch to the exact /users/track body: profile fields, custom events, one purchase per product', () => {
    const requests = brazeTrackRequests([streamBatch(iosBatch())], SETTINGS);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe('https://rest.iad-01.braze.com/users/track');
    expect(requests[0]?.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer braze-key' });
    const purchase = { coupon_source: 'newsletter', 'Transaction Id': 'tx-9' };
    const totals = { 'Total Amount': '43.5', 'Shipping Amount': '4', 'Tax Amount': '7.25' };
    expect(JSON.parse(requests[0]!.body)).toStrictEqual({
      attributes: [
        {
          external_id: 'cust-1001',
          first_name: 'Ada',
          last_name: 'Lovelace',
          gender: 'F',
          home_city: 'London',
          country: 'GB',
          phone: '+44 20 7946 0000',
          Zip: '01234',
          plan: 'gold',
          tags: 'beta,vip',
          newsletter: 'true',
          visits: '42',
          dob: '1990-01-01',
          old_plan: null,
          email: 'ada@example.com',
        },
      ],
      events: [
        { external_id: 'cust-1001', time: iso(T + 1000), name: 'Article Shared', properties: { article_id: 'a-17', channel: 'email', read_pct: '80' } },
        { external_id: 'cust-1001', time: iso(T + 2000), name: 'Viewed Checkout', properties: { step: '1' } },
      ],
      purchases: [
        {
          external_id: 'cust-1001',
          time: iso(T + 3000),
          product_id: 'sku-1',
          currency: 'GBP',
          price: 12.5,
          quantity: 2,
          properties: { ...purchase, Name: 'Notebook', Category: 'Stationery', Brand: 'Acme', 'Total Product Amount': '25', ...totals },
        },
        {
          external_id: 'cust-1001',
          time: iso(T + 3000),
          product_id: 'sku-2',
          currency: 'GBP',
          price: 7.25,
          quantity: 1,
          properties: { ...purchase, Name: 'Pen', 'Total Product Amount': '7.25', colour: 'blue', ...totals },
        },
      ],
    });
  });

  it('sends nothing for a user without the external identity, and takes the identity the setting names', () => {
    const anonymous = { ...iosBatch(), user_identities: { email: 'ada@example.com' } };
    expect(brazeTrackRequests([streamBatch(anonymous)], SETTINGS)).toEqual([]);
    expect(bodiesOf([anonymous], { ...SETTINGS, external_identity_type: 'mpid' })[0]?.events?.[0]).toMatchObject({ external_id: MPID });
    const [body] = bodiesOf([iosBatch()], { ...SETTINGS, external_identity_type: 'other', email_identity_type: 'other' });
    expect(body?.attributes?.[0]).toMatchObject({ external_id: 'legacy-77', email: 'legacy-77' });
  });

  it('forwards session events, with session_id on sessions, screen views and custom events, when asked', () => {
    const [body] = bodiesOf([iosBatch()], { ...SETTINGS, forward_session_events: true });
    expect(body?.events).toStrictEqual([
      { external_id: 'cust-1001', time: iso(T), name: 'Session Start', properties: { session_id: 'S-1' } },
      { external_id: 'cust-1001', time: iso(T + 1000), name: 'Article Shared', properties: { article_id: 'a-17', channel: 'email', read_pct: '80', session_id: 'S-1' } },
      { external_id: 'cust-1001', time: iso(T + 2000), name: 'Viewed Checkout', properties: { step: '1', session_id: 'S-1' } },
      { external_id: 'cust-1001', time: iso(T + 4000), name: 'Session End', properties: { session_id: 'S-1' } },
    ]);
    expect(body?.purchases?.[0]?.properties).not.toHaveProperty('session_id');
  });

  it('names a screen view as the screen when asked', () => {
    const [body] = bodiesOf([iosBatch()], { ...SETTINGS, forward_page_name_as_braze_event_name: true });
    expect(body?.events?.map((e) => e.name)).toEqual(['Article Shared', 'Checkout']);
  });

  it('sends lists as arrays, user tags as null, and typed attributes as the settings say ($Zip stays a string)', () => {
    const [body] = bodiesOf([iosBatch()], {
      ...SETTINGS,
      send_user_attribute_lists_as_arrays: true,
      user_tags_value: 'null',
      enable_api_custom_attribute_type_detection: 'both',
    });
    expect(body?.attributes?.[0]).toMatchObject({ tags: ['beta', 'vip'], newsletter: null, visits: 42, Zip: '01234' });
    expect(body?.events?.[0]?.properties).toEqual({ article_id: 'a-17', channel: 'email', read_pct: 80 });
    const [users] = bodiesOf([iosBatch()], { ...SETTINGS, enable_api_custom_attribute_type_detection: 'user_attributes' });
    expect(users?.attributes?.[0]).toMatchObject({ newsletter: true, visits: 42 });
    expect(users?.events?.[0]?.properties).toMatchObject({ read_pct: '80' });
  });

  it('prefers an exact dob to one from $Age, removes deleted reserved attributes, and maps Facebook and Twitter', () => {
    const batch: Batch = {
      ...iosBatch(),
      user_identities: { customer_id: 'cust-1001', facebook: 'fb-100004', twitter: 'ada_l' },
      user_attributes: { $age: 36, dob: '1989-12-10', email_subscribe: 'opted_in', $State: 'ENG' },
      deleted_user_attributes: ['$FirstName', '$Age', 'push_subscribe', '$Nickname'],
      events: [],
    };
    expect(bodiesOf([batch])[0]).toStrictEqual({
      attributes: [
        {
          external_id: 'cust-1001',
          dob: '1989-12-10',
          email_subscribe: 'opted_in',
          State: 'ENG',
          first_name: null,
          push_subscribe: null,
          Nickname: null,
          facebook: { id: 'fb-100004' },
          twitter: { screen_name: 'ada_l' },
        },
      ],
    });
  });

  it('merges one user\'s attributes across batches into one object, the later winning', () => {
    const first = withEvents({ ...iosBatch(), user_attributes: { plan: 'gold', seats: '3' }, deleted_user_attributes: [] });
    const second = withEvents({ ...iosBatch(), user_attributes: { plan: 'platinum' }, deleted_user_attributes: [] });
    expect(bodiesOf([first, second])[0]?.attributes).toStrictEqual([{ external_id: 'cust-1001', plan: 'platinum', seats: '3', email: 'ada@example.com' }]);
  });

  it('expands other commerce events per product, and a refund with its total', () => {
    const refund: BatchEvent = {
      event_type: 'commerce_event',
      data: {
        timestamp_unixtime_ms: T,
        product_action: { action: 'refund', transaction_id: 'tx-9', total_amount: 25, products: [{ id: 'sku-1', name: 'Notebook', price: 12.5, quantity: 2 }] },
      },
    };
    const cart: BatchEvent = { event_type: 'commerce_event', data: { timestamp_unixtime_ms: T, product_action: { action: 'add_to_cart', products: [{ id: 'sku-2', name: 'Pen', price: 7.25, quantity: 3 }] } } };
    const [body] = bodiesOf([withEvents(iosBatch(), refund, cart)]);
    expect(body?.purchases).toBeUndefined();
    expect(body?.events).toStrictEqual([
      { external_id: 'cust-1001', time: iso(T), name: 'eCommerce - Refund - Item', properties: { 'Transaction Id': 'tx-9', Name: 'Notebook', Id: 'sku-1', Price: 12.5, Quantity: 2 } },
      { external_id: 'cust-1001', time: iso(T), name: 'eCommerce - Refund - Total', properties: { 'Transaction Id': 'tx-9', 'Total Amount': '25' } },
      { external_id: 'cust-1001', time: iso(T), name: 'eCommerce - AddToCart - Item', properties: { Name: 'Pen', Id: 'sku-2', Price: 7.25, Quantity: 3 } },
    ]);
  });

  it('sends a purchase quantity Braze refuses as one unit at the line\'s price, defaults the currency to USD, and skips a product without id or name', () => {
    const bulk: BatchEvent = {
      event_type: 'commerce_event',
      data: { timestamp_unixtime_ms: T, product_action: { action: 'purchase', products: [{ id: 'sku-3', price: 0.5, quantity: 150 }, { name: 'Gift wrap', price: 2 }, { price: 1 }] } },
    };
    const [body] = bodiesOf([withEvents(iosBatch(), bulk)]);
    expect(body?.purchases?.map(({ product_id, currency, price, quantity }) => ({ product_id, currency, price, quantity }))).toEqual([
      { product_id: 'sku-3', currency: 'USD', price: 75, quantity: 1 },
      { product_id: 'Gift wrap', currency: 'USD', price: 2, quantity: 1 },
    ]);
  });

  it('splits at 75 objects per array, attributes in the first request', () => {
    const events = Array.from({ length: 80 }, (_, i): BatchEvent => ({ event_type: 'custom_event', data: { event_name: `e${i}`, custom_event_type: 'other', timestamp_unixtime_ms: T + i } }));
    const bodies = bodiesOf([withEvents(iosBatch(), ...events)]);
    expect(bodies.map((b) => [b.attributes?.length, b.events?.length])).toEqual([
      [1, 75],
      [undefined, 5],
    ]);
    expect(bodies[1]?.events?.[0]?.name).toBe('e75');
  });

  it('drops a trailing slash of the endpoint and the $ of property keys', () => {
    const event: BatchEvent = { event_type: 'custom_event', data: { event_name: 'Rated', custom_event_type: 'other', timestamp_unixtime_ms: T, custom_attributes: { $stars: 5, note: null } } };
    const [request] = brazeTrackRequests([streamBatch(withEvents(iosBatch(), event))], { ...SETTINGS, rest_endpoint: 'https://rest.fra-01.braze.eu/' });
    expect(request?.url).toBe('https://rest.fra-01.braze.eu/users/track');
    expect((JSON.parse(request!.body) as TrackBody).events?.[0]?.properties).toEqual({ stars: 5 });
  });
});
