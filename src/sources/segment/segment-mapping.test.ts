import { describe, expect, it } from 'vitest';
import { parseBatch } from '../../model/batch-parser.ts';
import {
  applicationInfoOf,
  deviceInfoOf,
  flattenAttributes,
  locationOf,
  mapSegmentBatch,
  mapSegmentCall,
  SEGMENT_CALL_TYPES,
  type SegmentCallType,
  type SegmentMapResult,
} from './segment-mapping.ts';

const NOW = Date.parse('2024-05-01T12:00:10.000Z');
const opts = { receivedAtMs: NOW };

function ok(result: SegmentMapResult) {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.problems)}`);
  return result.batches;
}
function one(type: SegmentCallType, message: Record<string, unknown>) {
  const batches = ok(mapSegmentCall(type, message, opts));
  expect(batches).toHaveLength(1);
  return batches[0]!;
}
function problems(result: SegmentMapResult): string {
  if (result.ok) throw new Error('expected problems');
  for (const p of result.problems) expect(p.code).toBe('BAD_REQUEST');
  return result.problems.map((p) => p.message).join(' | ');
}

describe('track', () => {
  it('is a custom_event named by `event`, properties as custom attributes (reference: track)', () => {
    const b = one('track', {
      userId: '019mr8mf4r',
      event: 'Item Purchased',
      properties: { name: 'Leap to Conclusions Mat', revenue: 14.99 },
      context: { ip: '24.5.68.47' },
      timestamp: '2012-12-02T00:30:12.984Z',
      messageId: 'm-1',
    });
    expect(b).toEqual({
      events: [
        {
          event_type: 'custom_event',
          data: {
            event_name: 'Item Purchased',
            custom_event_type: 'other',
            custom_attributes: { name: 'Leap to Conclusions Mat', revenue: 14.99 },
            timestamp_unixtime_ms: Date.parse('2012-12-02T00:30:12.984Z'),
            source_message_id: 'm-1',
          },
        },
      ],
      environment: 'production',
      user_identities: { customer_id: '019mr8mf4r' },
      user_attributes: {},
      source_request_id: 'm-1',
      timestamp_unixtime_ms: Date.parse('2012-12-02T00:30:12.984Z'),
      ip: '24.5.68.47',
    });
  });

  it('without properties has empty custom attributes', () => {
    expect(one('track', { anonymousId: 'a', event: 'E' }).events[0]!.data.custom_attributes).toEqual({});
  });

  it('sets context.traits as user attributes, and the email trait as the email identity', () => {
    const b = one('track', { userId: 'u', event: 'E', context: { traits: { email: 'a@b.c', plan: 'pro' } } });
    expect(b.user_identities).toEqual({ customer_id: 'u', email: 'a@b.c' });
    expect(b.user_attributes).toEqual({ plan: 'pro' });
  });
});

describe('identities', () => {
  it('userId is customer_id, anonymousId is other (both when both are sent)', () => {
    expect(one('track', { userId: 'u1', anonymousId: 'anon-1', event: 'E' }).user_identities).toEqual({ customer_id: 'u1', other: 'anon-1' });
    expect(one('track', { anonymousId: 'anon-2', event: 'E' }).user_identities).toEqual({ other: 'anon-2' });
  });

  it('numeric ids are taken as their digits', () => {
    expect(one('track', { userId: 42, event: 'E', messageId: 7 })).toMatchObject({ user_identities: { customer_id: '42' }, source_request_id: '7' });
  });

  it('a message with neither userId nor anonymousId is refused, naming the fields', () => {
    expect(problems(mapSegmentCall('track', { event: 'E' }, opts))).toMatch(/needs a userId or an anonymousId \(field "userId" or "anonymousId"\)/);
    expect(problems(mapSegmentCall('identify', { userId: '', anonymousId: null }, opts))).toMatch(/needs a userId or an anonymousId/);
  });

  it('ids of the wrong type are refused', () => {
    expect(problems(mapSegmentCall('track', { userId: { id: 1 }, event: 'E' }, opts))).toMatch(/Field "userId" must be a string, not object/);
    expect(problems(mapSegmentCall('track', { anonymousId: 'a', messageId: [1], event: 'E' }, opts))).toMatch(/"messageId" must be a string, not array/);
  });
});

describe('identify', () => {
  it('is a batch with no events: identities and traits as user attributes (reference: identify)', () => {
    const b = one('identify', {
      userId: '019mr8mf4r',
      traits: { email: 'pgibbons@example.com', name: 'Peter Gibbons' },
      context: { ip: '24.5.68.47' },
      timestamp: '2012-12-02T00:30:08.276Z',
    });
    expect(b).toEqual({
      events: [],
      environment: 'production',
      user_identities: { customer_id: '019mr8mf4r', email: 'pgibbons@example.com' },
      user_attributes: { name: 'Peter Gibbons' },
      timestamp_unixtime_ms: Date.parse('2012-12-02T00:30:08.276Z'),
      ip: '24.5.68.47',
    });
  });

  it('flattens nested traits and keeps lists; message traits win over context.traits', () => {
    const b = one('identify', {
      userId: 'u',
      traits: { address: { city: 'Austin', geo: { zip: '78701' } }, tags: ['a', { b: 1 }], plan: 'pro', email: 42 },
      context: { traits: { plan: 'free', age: 30 } },
    });
    expect(b.user_attributes).toEqual({ 'address.city': 'Austin', 'address.geo.zip': '78701', tags: ['a', '{"b":1}'], plan: 'pro', age: 30, email: 42 });
    expect(b.user_identities).toEqual({ customer_id: 'u' });
  });

  it('refuses traits that are not an object', () => {
    expect(problems(mapSegmentCall('identify', { userId: 'u', traits: 'x' }, opts))).toMatch(/Field "traits" must be an object, not string/);
  });
});

describe('page and screen', () => {
  it('page is a screen_view named by the page name, properties as custom attributes (reference: page)', () => {
    const b = one('page', { userId: '019mr8mf4r', name: 'Example page call', properties: { foo: 'bar' }, messageId: 'p-1' });
    expect(b.events).toEqual([
      { event_type: 'screen_view', data: { screen_name: 'Example page call', custom_attributes: { foo: 'bar' }, source_message_id: 'p-1' } },
    ]);
  });

  it('screen is a screen_view named by the screen name', () => {
    const b = one('screen', { userId: 'u', name: 'Settings', properties: {} });
    expect(b.events).toEqual([{ event_type: 'screen_view', data: { screen_name: 'Settings', custom_attributes: {} } }]);
  });

  it('keeps the category as a custom attribute', () => {
    const data = one('screen', { userId: 'u', name: 'Cart', category: 'Shop' }).events[0]!.data;
    expect(data.custom_attributes).toEqual({ category: 'Shop' });
  });

  it('without a name, uses the title or path of the page, else "PageView" / "Screen View"', () => {
    expect(one('page', { userId: 'u', properties: { title: 'Docs', path: '/docs' } }).events[0]!.data.screen_name).toBe('Docs');
    expect(one('page', { userId: 'u', properties: { path: '/docs' } }).events[0]!.data.screen_name).toBe('/docs');
    expect(one('page', { userId: 'u' }).events[0]!.data.screen_name).toBe('PageView');
    expect(one('screen', { userId: 'u' }).events[0]!.data.screen_name).toBe('Screen View');
  });
});

describe('group', () => {
  it('sets group user attributes (reference: Group -> setUserAttribute), with no event', () => {
    const b = one('group', { userId: 'u', groupId: 'g-1', traits: { name: 'Initech', address: { city: 'Austin' } } });
    expect(b.events).toEqual([]);
    expect(b.user_attributes).toEqual({ 'group.name': 'Initech', 'group.address.city': 'Austin', 'group.id': 'g-1' });
    expect(b.user_identities).toEqual({ customer_id: 'u' });
  });

  it('needs a groupId', () => {
    expect(problems(mapSegmentCall('group', { userId: 'u' }, opts))).toMatch(/needs a groupId: field "groupId"/);
  });
});

describe('alias', () => {
  it('is a user_identity_change from previousId (other) to userId (customer_id), both identities on the batch', () => {
    const b = one('alias', { userId: 'u-9', previousId: 'anon-9', timestamp: '2024-05-01T12:00:00.000Z', messageId: 'al-1' });
    const at = Date.parse('2024-05-01T12:00:00.000Z');
    expect(b.user_identities).toEqual({ customer_id: 'u-9', other: 'anon-9' });
    expect(b.events).toEqual([
      {
        event_type: 'user_identity_change',
        data: {
          new: { identity_type: 'customer_id', identity: 'u-9', timestamp_unixtime_ms: at, created_this_batch: false },
          old: { identity_type: 'other', identity: 'anon-9', timestamp_unixtime_ms: at, created_this_batch: false },
          timestamp_unixtime_ms: at,
          source_message_id: 'al-1',
        },
      },
    ]);
  });

  it('needs previousId and userId', () => {
    expect(problems(mapSegmentCall('alias', { userId: 'u' }, opts))).toMatch(/needs a previousId: field "previousId"/);
    expect(problems(mapSegmentCall('alias', { anonymousId: 'a', previousId: 'p' }, opts))).toMatch(/needs a userId: field "userId"/);
  });
});

describe('timestamps', () => {
  const ts = (m: Record<string, unknown>) => one('track', { userId: 'u', event: 'E', ...m }).timestamp_unixtime_ms;

  it('timestamp is used as sent', () => {
    expect(ts({ timestamp: '2024-05-01T11:00:00.000Z', originalTimestamp: '2020-01-01T00:00:00Z', sentAt: '2020-01-01T00:00:00Z' })).toBe(
      Date.parse('2024-05-01T11:00:00.000Z'),
    );
  });

  it('originalTimestamp is corrected for the client clock with sentAt: receivedAt - (sentAt - originalTimestamp)', () => {
    // The client clock is an hour behind: it sent 5 s after the event, which arrived at NOW.
    expect(ts({ originalTimestamp: '2024-05-01T11:00:00.000Z', sentAt: '2024-05-01T11:00:05.000Z' })).toBe(NOW - 5000);
    expect(ts({ originalTimestamp: '2024-05-01T11:00:00.000Z' })).toBe(Date.parse('2024-05-01T11:00:00.000Z'));
  });

  it('the batch-level sentAt applies to every message of a batch', () => {
    const [b] = ok(
      mapSegmentBatch(
        { batch: [{ type: 'track', userId: 'u', event: 'E', originalTimestamp: '2024-05-01T11:00:00.000Z' }], sentAt: '2024-05-01T11:00:02.000Z' },
        opts,
      ),
    );
    expect(b!.timestamp_unixtime_ms).toBe(NOW - 2000);
    expect(b!.events[0]!.data.timestamp_unixtime_ms).toBe(NOW - 2000);
  });

  it('no time at all leaves it to Quanta (the time the batch was received)', () => {
    expect(ts({})).toBeUndefined();
  });

  it('a timestamp that is not a date is refused', () => {
    expect(problems(mapSegmentCall('track', { userId: 'u', event: 'E', timestamp: 'yesterday' }, opts))).toMatch(
      /Field "timestamp" must be an ISO-8601 date string .* not "yesterday"/,
    );
    expect(problems(mapSegmentCall('track', { userId: 'u', event: 'E', timestamp: 1714560000000 }, opts))).toMatch(/"timestamp" .* not number/);
  });
});

describe('context', () => {
  const full = {
    ip: '8.8.8.8',
    userAgent: 'Mozilla/5.0 (iPhone)',
    locale: 'en-US',
    os: { name: 'iOS', version: '17.4' },
    device: {
      id: 'idfv-1',
      advertisingId: 'idfa-1',
      adTrackingEnabled: true,
      manufacturer: 'Apple',
      model: 'iPhone16,1',
      name: 'Pat\u2019s iPhone',
      type: 'ios',
      token: 'push-1',
    },
    screen: { width: 1179, height: 2556, density: 3 },
    network: { carrier: 'T-Mobile', bluetooth: false, wifi: true },
    app: { name: 'Shop', version: '2.1.0', build: 210, namespace: 'com.example.shop' },
    location: { latitude: 30.27, longitude: -97.74, city: 'Austin', country: 'United States' },
    library: { name: 'analytics-ios', version: '4.1.8' },
  };

  it('maps ip, device, os, screen, network and locale to device_info, app to application_info, location to context.location', () => {
    const b = one('track', { userId: 'u', event: 'E', context: full });
    expect(b.ip).toBe('8.8.8.8');
    expect(b.device_info).toEqual({
      platform: 'iOS',
      http_header_user_agent: 'Mozilla/5.0 (iPhone)',
      os_version: '17.4',
      device_manufacturer: 'Apple',
      device_model: 'iPhone16,1',
      device: 'Pat\u2019s iPhone',
      push_token: 'push-1',
      limit_ad_tracking: false,
      ios_advertising_id: 'idfa-1',
      ios_idfv: 'idfv-1',
      screen_width: 1179,
      screen_height: 2556,
      network_carrier: 'T-Mobile',
      bluetooth_enabled: false,
      locale_language: 'en',
      locale_country: 'US',
    });
    expect(b.application_info).toEqual({
      application_name: 'Shop',
      application_version: '2.1.0',
      application_build_number: '210',
      package: 'com.example.shop',
    });
    expect(b.context).toEqual({ location: { latitude: 30.27, longitude: -97.74, city_name: 'Austin' } });
  });

  it('Android device ids go to the Android fields', () => {
    expect(deviceInfoOf({ os: { name: 'Android', version: '14' }, device: { id: 'aid', advertisingId: 'gaid', adTrackingEnabled: false } })).toEqual({
      platform: 'Android',
      os_version: '14',
      android_uuid: 'aid',
      android_advertising_id: 'gaid',
      limit_ad_tracking: true,
    });
  });

  it('a page context means the web platform; an unknown platform keeps no device ids', () => {
    expect(deviceInfoOf({ page: { url: 'https://example.com' }, userAgent: 'UA' })).toEqual({ platform: 'web', http_header_user_agent: 'UA' });
    expect(deviceInfoOf({ device: { id: 'x', advertisingId: 'y' } })).toBeUndefined();
    expect(deviceInfoOf({ library: { name: 'analytics-node' } })).toBeUndefined();
    expect(deviceInfoOf({ os: { name: 'tvOS' } })).toEqual({ platform: 'tvOS' });
  });

  it('maps nothing it does not know', () => {
    expect(applicationInfoOf({})).toBeUndefined();
    expect(locationOf({ location: { country: 'US' } })).toBeUndefined();
    const b = one('identify', { userId: 'u', context: { library: { name: 'analytics-node', version: '3.1.0' } }, integrations: {}, _metadata: {} });
    expect(b).toEqual({ events: [], environment: 'production', user_identities: { customer_id: 'u' }, user_attributes: {} });
  });

  it('the batch-level context applies to each message, the message context wins', () => {
    const batches = ok(
      mapSegmentBatch(
        {
          batch: [
            { type: 'track', userId: 'u', event: 'E' },
            { type: 'track', userId: 'u', event: 'F', context: { ip: '2.2.2.2' } },
          ],
          context: { ip: '1.1.1.1', app: { name: 'Shop' } },
        },
        opts,
      ),
    );
    expect(batches.map((b) => [b.ip, b.application_info])).toEqual([
      ['1.1.1.1', { application_name: 'Shop' }],
      ['2.2.2.2', { application_name: 'Shop' }],
    ]);
  });

  it('refuses a context that is not an object', () => {
    expect(problems(mapSegmentCall('track', { userId: 'u', event: 'E', context: 'x' }, opts))).toMatch(/Field "context" must be an object/);
  });
});

describe('track validation', () => {
  it('needs an event name', () => {
    expect(problems(mapSegmentCall('track', { userId: 'u' }, opts))).toMatch(/needs an event name: field "event"/);
    expect(problems(mapSegmentCall('track', { userId: 'u', event: ' ' }, opts))).toMatch(/field "event" must be a non-empty string/);
  });

  it('refuses properties that are not an object', () => {
    expect(problems(mapSegmentCall('track', { userId: 'u', event: 'E', properties: [1] }, opts))).toMatch(/Field "properties" must be an object, not array/);
  });
});

describe('/v1/batch', () => {
  it('maps each message to its own batch, in order, by its type', () => {
    const batches = ok(
      mapSegmentBatch(
        {
          batch: SEGMENT_CALL_TYPES.map((type, i) => ({
            type,
            userId: 'u',
            messageId: `m-${i}`,
            event: 'E',
            name: 'N',
            groupId: 'g',
            previousId: 'p',
          })),
          writeKey: 'k',
        },
        opts,
      ),
    );
    expect(batches.map((b) => [b.source_request_id, b.events.map((e) => e.event_type)])).toEqual([
      ['m-0', []],
      ['m-1', ['custom_event']],
      ['m-2', ['screen_view']],
      ['m-3', ['screen_view']],
      ['m-4', []],
      ['m-5', ['user_identity_change']],
    ]);
  });

  it('reports every bad message, each by its index', () => {
    const text = problems(
      mapSegmentBatch(
        {
          batch: [
            { type: 'track', userId: 'u', event: 'ok' },
            { type: 'track', event: 'no user' },
            { type: 'launch', userId: 'u' },
            { userId: 'u' },
            'text',
            { type: 'track', userId: 'u' },
          ],
        },
        opts,
      ),
    );
    expect(text).toMatch(/batch\[1\] \(track\) needs a userId or an anonymousId \(field "batch\[1\]\.userId"/);
    expect(text).toMatch(/batch\[2\]\.type "launch" is not a Segment call type/);
    expect(text).toMatch(/batch\[3\]\.type is missing/);
    expect(text).toMatch(/batch\[4\] must be a JSON object/);
    expect(text).toMatch(/batch\[5\] \(track\) needs an event name: field "batch\[5\]\.event"/);
    expect(text).not.toMatch(/batch\[0\]/);
  });

  it('refuses a body without a batch array, an empty batch, and a bad sentAt', () => {
    expect(problems(mapSegmentBatch([], opts))).toMatch(/must be a JSON object/);
    expect(problems(mapSegmentBatch({ batch: {} }, opts))).toMatch(/"batch" must be an array/);
    expect(problems(mapSegmentBatch({ batch: [] }, opts))).toMatch(/empty array/);
    expect(problems(mapSegmentBatch({ batch: [{ type: 'track', userId: 'u', event: 'E' }], sentAt: 'soon' }, opts))).toMatch(/Field "sentAt"/);
  });

  it('refuses a message over 32 KB, naming it', () => {
    const big = { type: 'track', userId: 'u', event: 'E', properties: { blob: 'x'.repeat(33 * 1024) } };
    expect(problems(mapSegmentBatch({ batch: [{ type: 'track', userId: 'u', event: 'E' }, big] }, opts))).toMatch(
      /Message batch\[1\] is 33\.\d KB; Segment allows at most 32 KB per message/,
    );
    expect(problems(mapSegmentCall('track', big, opts))).toMatch(/The message is 33\.\d KB/);
  });
});

describe('what it makes is a valid mParticle batch', () => {
  it.each(SEGMENT_CALL_TYPES)('%s', (type) => {
    const b = one(type, {
      userId: 'u',
      anonymousId: 'a',
      event: 'E',
      name: 'N',
      groupId: 'g',
      previousId: 'p',
      messageId: `valid-${type}`,
      traits: { email: 'e@x.io', plan: 'pro' },
      properties: { k: 'v' },
      timestamp: '2024-05-01T11:00:00.000Z',
      context: { ip: '1.2.3.4', os: { name: 'Android' }, app: { name: 'A' }, location: { latitude: 1, longitude: 2 } },
    });
    const parsed = parseBatch(structuredClone(b));
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
  });
});

describe('flattenAttributes', () => {
  it('prefixes and flattens', () => {
    expect(flattenAttributes({ a: { b: { c: 1 } }, d: null }, 'p.')).toEqual({ 'p.a.b.c': 1, 'p.d': null });
  });
});
