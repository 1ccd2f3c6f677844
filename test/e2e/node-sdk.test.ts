import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BatchModel, call, type EventsApi, eventsApiFor, mParticle, type Model } from '../helpers/mparticle-sdk.ts';
import { makeDataDir, type QuantaProcess, removeDataDir, startQuanta } from '../helpers/quanta-process.ts';
import { withEventStore } from '../helpers/stores.ts';

/**
 * Compatibility with the real `mparticle` npm package (the mParticle Node SDK 1.0.8): its own
 * model classes and `EventsApi`, pointed at a Quanta child process. The tests run in order: the
 * last one stops Quanta and reads `events.duckdb` for what the earlier ones sent.
 */

interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  responseStatus: number;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/real-clients/node-sdk.json', import.meta.url), 'utf8'),
) as RecordedRequest[];

/** The usage_example.js MPID: above 2^53, so `JSON.parse` would turn it into ...048576. */
const NUMBER_MPID = 600868121729048600;
const NUMBER_MPID_DIGITS = '600868121729048600';
/** The largest signed 64-bit integer, sent as a string (the SDK does not check the type). */
const STRING_MPID = '9223372036854775807';

const SRID = {
  single: 'sdk-single-1',
  bulkA: 'sdk-bulk-a',
  bulkB: 'sdk-bulk-b',
  invalid: 'sdk-invalid-1',
  invalidBulk: 'sdk-invalid-bulk',
} as const;

function identities(customerId: string, email?: string): Model {
  const ids = new mParticle.UserIdentities();
  ids.customerid = customerId;
  if (email) ids.email = email;
  return ids;
}

function purchase(transactionId: string): Model {
  const product = new mParticle.Product('sku-1', 'Acceptance Widget', 19.99, 1);
  product.quantity = 1;
  const action = new mParticle.ProductAction('purchase', transactionId, 21.49, [product]);
  action.tax_amount = 1.5;
  const event = new mParticle.CommerceEvent();
  event.product_action = action;
  event.currency_code = 'USD';
  event.timestamp_unixtime_ms = Date.now();
  return event;
}

/** One batch with a custom event, a screen view and a purchase, as the SDK's README and usage example build it. */
function singleBatch(): BatchModel {
  const batch = new mParticle.Batch(mParticle.Batch.Environment.development);
  batch.source_request_id = SRID.single;
  batch.user_identities = identities('sdk-cust-1', 'sdk-cust-1@example.com');
  const device = new mParticle.DeviceInformation();
  device.platform = mParticle.DeviceInformation.Platform.iOS;
  device.ios_advertising_id = '07d2ebaa-e956-407e-a1e6-f05f871bf4e2';
  batch.device_info = device;
  batch.user_attributes = { 'hair color': 'brown', tags: ['a', 'b'] };
  batch.mpid = NUMBER_MPID;
  const click = new mParticle.AppEvent(mParticle.AppEvent.CustomEventType.navigation, 'SDK Button Clicked');
  click.custom_attributes = { button: 'signup' };
  batch.addEvent(click);
  const screen = new mParticle.ScreenViewEvent('SDK Home');
  screen.custom_attributes = { section: 'landing' };
  batch.addEvent(screen);
  batch.addEvent(purchase('tx-sdk-1'));
  return batch;
}

function bulkBatches(): BatchModel[] {
  const a = new mParticle.Batch(mParticle.Batch.Environment.production);
  a.source_request_id = SRID.bulkA;
  a.user_identities = identities('sdk-cust-2');
  a.user_attributes = { plan: 'silver' };
  a.addEvent(new mParticle.AppEvent(mParticle.AppEvent.CustomEventType.other, 'SDK Bulk A'));
  const addToCart = new mParticle.CommerceEvent();
  addToCart.product_action = new mParticle.ProductAction('add_to_cart', undefined, undefined, [
    new mParticle.Product('sku-2', 'Other Widget', 5, 1),
  ]);
  a.addEvent(addToCart);

  const b = new mParticle.Batch(mParticle.Batch.Environment.production);
  b.source_request_id = SRID.bulkB;
  b.user_identities = identities('sdk-cust-3');
  b.mpid = STRING_MPID;
  b.addEvent(new mParticle.ScreenViewEvent('SDK Bulk B'));
  return [a, b];
}

/** A custom event without `event_name`: the SDK builds and sends it; Quanta must refuse it. */
function namelessBatch(srid: string): BatchModel {
  const batch = new mParticle.Batch(mParticle.Batch.Environment.development);
  batch.source_request_id = srid;
  batch.user_identities = identities('sdk-cust-bad');
  batch.addEvent(new mParticle.AppEvent(mParticle.AppEvent.CustomEventType.navigation));
  return batch;
}

function messagesOf(body: unknown): string[] {
  const errors = (body as { errors?: { code?: string; message?: string }[] } | null)?.errors ?? [];
  return errors.map((e) => String(e.message));
}

describe('the mparticle Node SDK against Quanta', () => {
  let dataDir: string | undefined;
  let quanta: QuantaProcess;
  let api: EventsApi;

  beforeAll(async () => {
    dataDir = makeDataDir('quanta-sdk-');
    quanta = await startQuanta({ dataDir, apiKey: 'sdk-key', apiSecret: 'sdk-secret' });
    api = eventsApiFor(quanta.url, quanta.apiKey, quanta.apiSecret);
  }, 90_000);

  afterAll(async () => {
    await quanta?.kill('SIGKILL');
    removeDataDir(dataDir);
  });

  it('uploadEvents: one batch is accepted with a 202', { timeout: 120_000 }, async () => {
    const { error, response } = await call((cb) => api.uploadEvents(singleBatch(), cb));
    expect(error, String(error?.response?.text)).toBeNull();
    expect(response?.status).toBe(202);
  });

  it('bulkUploadEvents: two batches are accepted with a 202', { timeout: 120_000 }, async () => {
    const { error, response } = await call((cb) => api.bulkUploadEvents(bulkBatches(), cb));
    expect(error, String(error?.response?.text)).toBeNull();
    expect(response?.status).toBe(202);
  });

  it('an invalid batch reaches the SDK callback as a 400 naming the field', { timeout: 120_000 }, async () => {
    const single = await call((cb) => api.uploadEvents(namelessBatch(SRID.invalid), cb));
    expect(single.error).not.toBeNull();
    expect(single.error!.status).toBe(400);
    expect(single.error!.response?.body).toMatchObject({ errors: [{ code: 'BAD_REQUEST' }] });
    expect(messagesOf(single.error!.response?.body).join('\n')).toMatch(/events\[0\]\.data\.event_name/);

    // In a bulk call the message says which batch: nothing of the request is accepted.
    const [good] = bulkBatches();
    good!.source_request_id = 'sdk-never-stored';
    const bulk = await call((cb) => api.bulkUploadEvents([good!, namelessBatch(SRID.invalidBulk)], cb));
    expect(bulk.error?.status).toBe(400);
    expect(messagesOf(bulk.error?.response?.body).join('\n')).toMatch(/\[1\]\.events\[0\]\.data\.event_name/);
  });

  it('the recorded Node SDK requests (wire truth) are accepted', { timeout: 120_000 }, async () => {
    expect(fixture.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v2/events', 'POST /v2/bulkevents']);
    for (const recorded of fixture) {
      const headers: Record<string, string> = {};
      for (const name of ['user-agent', 'content-type', 'accept', 'accept-encoding']) {
        if (recorded.headers[name]) headers[name] = recorded.headers[name];
      }
      const res = await fetch(`${quanta.url}${recorded.path}`, {
        method: recorded.method,
        headers: { ...headers, authorization: quanta.authorization },
        body: JSON.stringify(recorded.body),
        signal: AbortSignal.timeout(30_000),
      });
      expect(res.status, `${recorded.path}: ${await res.text()}`).toBe(recorded.responseStatus);
    }
  });

  it('the event store holds what the SDK and the recording sent', { timeout: 120_000 }, async () => {
    await quanta.waitForLag0();
    expect(await quanta.stop(), quanta.output()).toEqual({ code: 0, signal: null });

    const rows = await withEventStore(dataDir!, async (query) =>
      query(`
        SELECT source_request_id AS srid, event_index, event_type, event_name, custom_event_type, environment, platform,
               mpid::VARCHAR AS mpid, data::VARCHAR AS data, user_identities::VARCHAR AS identities,
               user_attributes::VARCHAR AS attributes
        FROM events_wide ORDER BY source_request_id, event_index`),
    );
    const of = (srid: string) => rows.filter((r) => r.srid === srid);
    const json = (v: unknown) => JSON.parse(String(v)) as Record<string, unknown>;
    const recordedSrids = fixture.flatMap((r) => [r.body].flat().map((b) => (b as { source_request_id: string }).source_request_id));

    // 3 (uploadEvents) + 2 + 1 (bulkUploadEvents) + 3 x 3 (recording); the invalid ones: none.
    expect(rows).toHaveLength(15);
    expect(of(SRID.invalid)).toEqual([]);
    expect(of(SRID.invalidBulk)).toEqual([]);
    expect(of('sdk-never-stored')).toEqual([]);

    const single = of(SRID.single);
    expect(single.map((r) => [r.event_type, r.event_name])).toEqual([
      ['custom_event', 'SDK Button Clicked'],
      ['screen_view', 'SDK Home'],
      ['commerce_event', 'purchase'],
    ]);
    expect(single[0]).toMatchObject({ custom_event_type: 'navigation', environment: 'development', platform: 'iOS' });
    for (const r of single) {
      expect(r.mpid, 'the MPID keeps the digits the SDK wrote').toBe(NUMBER_MPID_DIGITS);
      expect(json(r.identities)).toEqual({ customer_id: 'sdk-cust-1', email: 'sdk-cust-1@example.com' });
      expect(json(r.attributes)).toEqual({ 'hair color': 'brown', tags: ['a', 'b'] });
    }
    expect(json(single[0]!.data)).toMatchObject({ event_name: 'SDK Button Clicked', custom_attributes: { button: 'signup' } });
    expect(json(single[2]!.data)).toMatchObject({
      currency_code: 'USD',
      product_action: {
        action: 'purchase',
        transaction_id: 'tx-sdk-1',
        total_amount: 21.49,
        tax_amount: 1.5,
        products: [{ id: 'sku-1', name: 'Acceptance Widget', price: 19.99, quantity: 1, total_product_amount: 1 }],
      },
    });

    const bulkA = of(SRID.bulkA);
    expect(bulkA.map((r) => [r.event_type, r.event_name])).toEqual([
      ['custom_event', 'SDK Bulk A'],
      ['commerce_event', 'add_to_cart'],
    ]);
    expect(json(bulkA[0]!.identities)).toEqual({ customer_id: 'sdk-cust-2' });
    expect(json(bulkA[1]!.data)).toMatchObject({ product_action: { action: 'add_to_cart', products: [{ id: 'sku-2' }] } });

    const bulkB = of(SRID.bulkB);
    expect(bulkB.map((r) => [r.event_type, r.event_name, r.mpid])).toEqual([['screen_view', 'SDK Bulk B', STRING_MPID]]);
    expect(json(bulkB[0]!.identities)).toEqual({ customer_id: 'sdk-cust-3' });

    expect(recordedSrids).toHaveLength(3);
    recordedSrids.forEach((srid, i) => {
      const recorded = of(srid);
      expect(recorded.map((r) => r.event_type)).toEqual(['custom_event', 'screen_view', 'commerce_event']);
      expect(json(recorded[0]!.identities)).toMatchObject({ customer_id: `cust-${i + 1}` });
      expect(json(recorded[0]!.identities)).not.toHaveProperty('customerid');
      expect(json(recorded[2]!.data)).toMatchObject({ product_action: { action: 'purchase', products: [{ id: 'sku-1' }] } });
    });
  });
});
