import { describe, expect, it } from 'vitest';
import type { Batch, BatchEvent } from '../../../model/batch.ts';
import type { Settings } from '../../output.ts';
import { AMPLITUDE_ENDPOINT, AMPLITUDE_MAX_EVENTS, AMPLITUDE_SETTINGS, amplitudeRequests } from './amplitude.ts';
import { IDFA, iosBatch, MPID, streamBatch, T, webBatch } from '../../../../test/fixtures/partner-batches.ts';

const SETTINGS: Settings = { api_key: 'amp-key' };

function bodiesOf(batches: Batch[], settings: Settings = SETTINGS) {
  return amplitudeRequests(batches.map((b, i) => streamBatch(b, 41 + i)), settings).map((r) => JSON.parse(r.body) as { api_key: string; events: Record<string, unknown>[]; options?: object });
}
const eventsOf = (batches: Batch[], settings?: Settings) => bodiesOf(batches, settings).flatMap((b) => b.events);
const withEvents = (batch: Batch, ...events: BatchEvent[]): Batch => ({ ...batch, events });

describe('amplitude settings', () => {
  it('has a confidential API key, the US endpoint by default, and the page\'s connection settings with its defaults', () => {
    const byName = new Map(AMPLITUDE_SETTINGS.map((s) => [s.name, s]));
    expect(byName.get('api_key')).toMatchObject({ type: 'string', is_required: true, is_confidential: true });
    expect(byName.get('endpoint')).toMatchObject({ type: 'url', is_required: false, default: 'https://api2.amplitude.com/2/httpapi' });
    expect(byName.get('endpoint')?.description).toContain('https://api.eu.amplitude.com/2/httpapi');
    expect(byName.get('user_identification')).toMatchObject({ default: 'customer_id' });
    expect(byName.get('user_identification')?.one_of).toEqual(expect.arrayContaining(['customer_id', 'email', 'mpid', 'other', 'other_id_10']));
    expect(Object.fromEntries(AMPLITUDE_SETTINGS.filter((s) => s.type === 'bool').map((s) => [s.name, s.default]))).toEqual({
      include_email_in_user_properties: false,
      allow_unset_user_attributes: true,
      prefix_attribution_with_source: true,
      send_application_state_transitions: false,
      send_event_attributes_as_objects: false,
    });
    for (const s of AMPLITUDE_SETTINGS) expect(['string', 'bool', 'int', 'url']).toContain(s.type);
  });
});

describe('amplitudeRequests', () => {
  it('maps an iOS batch to the exact HTTP V2 body: sessions, a custom event, a screen view, a purchase expanded per product with one revenue event', () => {
    const requests = amplitudeRequests([streamBatch(iosBatch())], SETTINGS);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe(AMPLITUDE_ENDPOINT);
    expect(requests[0]?.headers).toEqual({ 'content-type': 'application/json', accept: '*/*' });

    const common = {
      user_id: 'cust-1001',
      device_id: IDFA,
      platform: 'iOS',
      os_name: 'iOS',
      os_version: '17.4',
      device_manufacturer: 'Apple',
      device_model: 'iPhone15,2',
      carrier: 'EE',
      language: 'en',
      app_version: '3.2.0',
      idfa: IDFA,
      library: 'mParticle',
      ip: '81.2.69.160',
      city: 'London',
      country: 'GB',
      session_id: T,
      user_properties: {
        $set: {
          FirstName: 'Ada',
          LastName: 'Lovelace',
          Age: '36',
          Gender: 'F',
          City: 'London',
          Country: 'GB',
          Mobile: '+44 20 7946 0000',
          Zip: '01234',
          plan: 'gold',
          tags: ['beta', 'vip'],
          visits: '42',
        },
        $unset: { old_plan: '-' },
      },
    };
    const notebook = { Id: 'sku-1', Name: 'Notebook', Category: 'Stationery', Brand: 'Acme', Price: 12.5, Quantity: 2, 'Total Product Amount': 25 };
    const pen = { Id: 'sku-2', Name: 'Pen', Price: 7.25, Quantity: 1, 'Total Product Amount': 7.25, colour: 'blue' };
    expect(JSON.parse(requests[0]!.body)).toStrictEqual({
      api_key: 'amp-key',
      events: [
        { ...common, event_type: 'session_start', time: T, insert_id: 'S-1' },
        {
          ...common,
          event_type: 'Article Shared',
          time: T + 1000,
          insert_id: 'msg-2',
          event_properties: { article_id: 'a-17', channel: 'email', read_pct: '80' },
          location_lat: 51.5072,
          location_lng: -0.1276,
          region: 'ENG',
        },
        { ...common, event_type: 'Viewed Checkout', time: T + 2000, insert_id: `${MPID}-41-2`, event_properties: { step: '1' } },
        {
          ...common,
          event_type: 'eCommerce - Purchase',
          time: T + 3000,
          insert_id: 'msg-4',
          event_properties: {
            coupon_source: 'newsletter',
            'Transaction Id': 'tx-9',
            'Total Amount': 43.5,
            'Tax Amount': 7.25,
            'Shipping Amount': 4,
            'Currency Code': 'GBP',
            products: [notebook, pen],
          },
        },
        {
          ...common,
          event_type: 'eCommerce - Purchase - Item',
          time: T + 3000,
          insert_id: 'msg-4-item-0',
          event_properties: { coupon_source: 'newsletter', 'Transaction Id': 'tx-9', 'Currency Code': 'GBP', ...notebook },
        },
        {
          ...common,
          event_type: 'eCommerce - Purchase - Item',
          time: T + 3000,
          insert_id: 'msg-4-item-1',
          event_properties: { coupon_source: 'newsletter', 'Transaction Id': 'tx-9', 'Currency Code': 'GBP', ...pen },
        },
        {
          ...common,
          event_type: 'revenue_amount',
          time: T + 3000,
          insert_id: 'msg-4-revenue',
          event_properties: { 'Transaction Id': 'tx-9', 'Currency Code': 'GBP' },
          price: 43.5,
          quantity: 1,
          revenue: 43.5,
          revenueType: 'purchase',
        },
        { ...common, event_type: 'session_end', time: T + 4000, insert_id: 'msg-5' },
      ],
    });
  });

  it('sends the same insert ids on every delivery of the same batches', () => {
    const once = amplitudeRequests([streamBatch(iosBatch())], SETTINGS);
    expect(amplitudeRequests([streamBatch(iosBatch())], SETTINGS)).toEqual(once);
  });

  it('sends plain user properties when nothing is unset, and the email identity when asked', () => {
    const batch = { ...iosBatch(), deleted_user_attributes: [], user_attributes: { plan: 'gold' } };
    const [event] = eventsOf([withEvents(batch, iosBatch().events[1]!)], { ...SETTINGS, include_email_in_user_properties: true });
    expect(event?.user_properties).toEqual({ plan: 'gold', email: 'ada@example.com' });
    const [unsetOff] = eventsOf([withEvents(iosBatch(), iosBatch().events[1]!)], { ...SETTINGS, allow_unset_user_attributes: false });
    expect(unsetOff?.user_properties).not.toHaveProperty('$unset');
    expect(unsetOff?.user_properties).toHaveProperty('FirstName', 'Ada');
  });

  it('takes user_id from the identity the setting names', () => {
    const batch = withEvents(iosBatch(), iosBatch().events[1]!);
    expect(eventsOf([batch], { ...SETTINGS, user_identification: 'mpid' })[0]?.user_id).toBe(MPID);
    expect(eventsOf([batch], { ...SETTINGS, user_identification: 'email' })[0]?.user_id).toBe('ada@example.com');
    expect(eventsOf([batch], { ...SETTINGS, user_identification: 'other' })[0]?.user_id).toBe('legacy-77');
    expect(eventsOf([batch], { ...SETTINGS, user_identification: 'other_id_2' })[0]).not.toHaveProperty('user_id');
  });

  it('leaves out ids shorter than Amplitude takes, or sends the minimum the setting gives in options', () => {
    const batch = withEvents({ ...iosBatch(), user_identities: { customer_id: '1234' } }, iosBatch().events[1]!);
    const [body] = bodiesOf([batch]);
    expect(body?.events[0]).not.toHaveProperty('user_id');
    expect(body?.events[0]).toHaveProperty('device_id', IDFA);
    expect(body).not.toHaveProperty('options');
    const [shorter] = bodiesOf([batch], { ...SETTINGS, min_id_length: 3 });
    expect(shorter?.events[0]).toHaveProperty('user_id', '1234');
    expect(shorter?.options).toEqual({ min_id_length: 3 });
  });

  it('picks device_id per platform: Android ID then advertising id; IDFV when the IDFA is all zeros', () => {
    const android = withEvents(
      { ...iosBatch(), user_identities: {}, device_info: { platform: 'Android', android_uuid: 'a1b2c3d4e5f60718', android_advertising_id: 'gaid-38400000-8cf0', brand: 'google' } },
      iosBatch().events[1]!,
    );
    expect(eventsOf([android])[0]).toMatchObject({ device_id: 'a1b2c3d4e5f60718', android_id: 'a1b2c3d4e5f60718', adid: 'gaid-38400000-8cf0', platform: 'Android', os_name: 'Android', device_brand: 'google' });
    const denied = withEvents({ ...iosBatch(), device_info: { platform: 'iOS', ios_advertising_id: '00000000-0000-0000-0000-000000000000', ios_idfv: 'IDFV-1234' } }, iosBatch().events[1]!);
    const [event] = eventsOf([denied]);
    expect(event).toMatchObject({ device_id: 'IDFV-1234' });
    expect(event).not.toHaveProperty('idfa');
  });

  it('does not send a batch with neither a user_id nor a device_id, unless anonymous ids are forwarded', () => {
    const web = withEvents(webBatch(), { event_type: 'custom_event', data: { event_name: 'Signed Up', custom_event_type: 'other', timestamp_unixtime_ms: T } });
    expect(amplitudeRequests([streamBatch(web)], SETTINGS)).toEqual([]);
    expect(eventsOf([web], { ...SETTINGS, anonymous_id_forwarding: 'device_application_stamp' })[0]).toMatchObject({ device_id: 'das-web-77aa', platform: 'Web', event_type: 'Signed Up' });
    expect(eventsOf([web], { ...SETTINGS, anonymous_id_forwarding: 'device_application_stamp_and_mpid' })[0]).toMatchObject({ device_id: `das-web-77aa-${MPID}` });
  });

  it('sends the attributes of a batch without events as an $identify', () => {
    const events = eventsOf([webBatch()], { ...SETTINGS, anonymous_id_forwarding: 'device_application_stamp' });
    expect(events).toStrictEqual([
      { device_id: 'das-web-77aa', platform: 'Web', library: 'mParticle', event_type: '$identify', time: T, insert_id: `${MPID}-41-identify`, user_properties: { $set: { plan: 'silver' } } },
    ]);
  });

  it('prefixes attribution events and their attributes, sent as user properties, with the source', () => {
    const attribution: BatchEvent = {
      event_type: 'custom_event',
      data: { event_name: 'attribution', custom_event_type: 'attribution', source_message_id: 'att-1', timestamp_unixtime_ms: T, custom_attributes: { 'mParticle Source Feed': 'AppsFlyer', publisher: 'Facebook', campaign: 'spring' } },
    };
    const batch = withEvents({ ...iosBatch(), user_attributes: { plan: 'gold' }, deleted_user_attributes: [] }, attribution);
    const [event] = eventsOf([batch]);
    expect(event?.event_type).toBe('[AppsFlyer] attribution');
    expect(event).not.toHaveProperty('event_properties');
    expect(event?.user_properties).toEqual({ plan: 'gold', '[AppsFlyer] mParticle Source Feed': 'AppsFlyer', '[AppsFlyer] publisher': 'Facebook', '[AppsFlyer] campaign': 'spring' });
    const [plain] = eventsOf([batch], { ...SETTINGS, prefix_attribution_with_source: false });
    expect(plain?.event_type).toBe('attribution');
    expect(plain?.user_properties).toMatchObject({ campaign: 'spring' });
  });

  it('sends application state transitions only when asked, by the page\'s names', () => {
    const transition = (data: BatchEvent['data']): BatchEvent => ({ event_type: 'application_state_transition', data: { timestamp_unixtime_ms: T, ...data } });
    const batch = withEvents(
      iosBatch(),
      transition({ application_transition_type: 'application_initialized', is_first_run: true }),
      transition({ application_transition_type: 'application_initialized', is_upgrade: true }),
      transition({ application_transition_type: 'application_initialized' }),
      transition({ application_transition_type: 'application_exit' }),
      transition({ application_transition_type: 'application_background' }),
      transition({ application_transition_type: 'application_foreground' }),
    );
    expect(eventsOf([batch]).map((e) => e.event_type)).toEqual(['$identify']);
    expect(eventsOf([batch], { ...SETTINGS, send_application_state_transitions: true }).map((e) => e.event_type)).toEqual([
      'Install',
      'Upgrade',
      'Application Initialized',
      'Application Exit',
      'Application Background',
      'Application Foreground',
    ]);
  });

  it('parses event attributes holding JSON when asked', () => {
    const event: BatchEvent = { event_type: 'custom_event', data: { event_name: 'Filtered', custom_event_type: 'search', timestamp_unixtime_ms: T, custom_attributes: { filters: '{"size":["M","L"]}', count: '3', label: 'not json' } } };
    expect(eventsOf([withEvents(iosBatch(), event)])[0]?.event_properties).toEqual({ filters: '{"size":["M","L"]}', count: '3', label: 'not json' });
    expect(eventsOf([withEvents(iosBatch(), event)], { ...SETTINGS, send_event_attributes_as_objects: true })[0]?.event_properties).toEqual({ filters: { size: ['M', 'L'] }, count: 3, label: 'not json' });
  });

  it('sends a refund\'s revenue negative, and skips commerce events without products and custom events without a name', () => {
    const refund: BatchEvent = {
      event_type: 'commerce_event',
      data: { source_message_id: 'r-1', timestamp_unixtime_ms: T, product_action: { action: 'refund', transaction_id: 'tx-9', products: [{ id: 'sku-1', price: 12.5, quantity: 2 }] } },
    };
    const empty: BatchEvent = { event_type: 'commerce_event', data: { timestamp_unixtime_ms: T, product_action: { action: 'add_to_cart', products: [] } } };
    const promotion: BatchEvent = { event_type: 'commerce_event', data: { timestamp_unixtime_ms: T, promotion_action: { action: 'view', promotions: [{ id: 'p1' }] } } };
    const nameless: BatchEvent = { event_type: 'custom_event', data: { custom_event_type: 'other', timestamp_unixtime_ms: T } };
    const events = eventsOf([withEvents(iosBatch(), refund, empty, promotion, nameless)]);
    expect(events.map((e) => e.event_type)).toEqual(['eCommerce - Refund', 'eCommerce - Refund - Item', 'revenue_amount']);
    expect(events[2]).toMatchObject({ insert_id: 'r-1-revenue', price: -25, quantity: 1, revenue: -25, revenueType: 'refund' });
    expect(events[0]).not.toHaveProperty('revenue');
    expect(events[1]).not.toHaveProperty('revenue');
  });

  it('sends no session_id for a session whose start is not among the batches', () => {
    const later = withEvents(iosBatch(), { event_type: 'custom_event', data: { event_name: 'Liked', custom_event_type: 'social', session_uuid: 'S-0', timestamp_unixtime_ms: T } });
    expect(eventsOf([later])[0]).not.toHaveProperty('session_id');
    expect(eventsOf([iosBatch(), later])[8]).not.toHaveProperty('session_id');
    const continued = withEvents(iosBatch(), { event_type: 'custom_event', data: { event_name: 'Liked', custom_event_type: 'social', session_uuid: 'S-1', timestamp_unixtime_ms: T + 9000 } });
    expect(eventsOf([iosBatch(), continued])[8]).toMatchObject({ event_type: 'Liked', session_id: T });
  });

  it('posts to the endpoint the settings name (EU)', () => {
    const [request] = amplitudeRequests([streamBatch(iosBatch())], { ...SETTINGS, endpoint: 'https://api.eu.amplitude.com/2/httpapi' });
    expect(request?.url).toBe('https://api.eu.amplitude.com/2/httpapi');
  });

  it('splits requests at 2,000 events and at 1 MB, in order', () => {
    const many = (n: number, attributes: Record<string, unknown> = {}) =>
      Array.from({ length: n }, (_, i): BatchEvent => ({ event_type: 'custom_event', data: { event_name: `e${i}`, custom_event_type: 'other', timestamp_unixtime_ms: T + i, custom_attributes: attributes } }));
    const slim: Batch = { environment: 'production', user_identities: { customer_id: 'cust-1001' }, user_attributes: {}, events: [] };
    const counted = bodiesOf([withEvents(slim, ...many(AMPLITUDE_MAX_EVENTS + 1))]);
    expect(counted.map((b) => b.events.length)).toEqual([AMPLITUDE_MAX_EVENTS, 1]);
    expect(counted[1]?.events[0]?.event_type).toBe(`e${AMPLITUDE_MAX_EVENTS}`);

    const large = amplitudeRequests([streamBatch(withEvents(iosBatch(), ...many(30, { text: 'x'.repeat(100_000) })))], SETTINGS);
    expect(large.length).toBeGreaterThan(2);
    for (const r of large) expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(1_000_000);
    expect(large.flatMap((r) => (JSON.parse(r.body) as { events: { event_type: string }[] }).events.map((e) => e.event_type))).toEqual(many(30).map((e) => e.data.event_name));
  });
});
