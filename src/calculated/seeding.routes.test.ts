import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { basicAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import type { CalculatedAttribute } from './calculated-store.ts';
import type { Definition } from './definition.ts';
import { bulkSeedExample, singleSeedExample } from './seeding.openapi.ts';
import { parseSeed } from './seeds.ts';
import { definitionOf } from './test-batches.ts';
import { type AttributeState, valueAt } from './windows.ts';

const ws = workspaceId(1);
const other = workspaceId(2);
const GAID = '82416a37-84d7-417f-84f3-a5b5c6a9c570';

let q: Quanta;
let seq = 0;

const def = (type: string, rest: Record<string, unknown> = {}): Definition =>
  definitionOf(type, { attribute_name: type === 'count' || type.endsWith('timestamp') ? null : 'x' }, rest);

/** The page's sample attributes, by name, and a few of Quanta's tests. */
const DEFINITIONS: Record<string, Definition> = {
  LTV: def('sum'),
  'Product Interests': def('unique_list'),
  'Unique product view count': def('unique_values_count'),
  'Average Session Length': def('average'),
  'Last seen value': def('last_occurrence'),
  'First seen value': def('first_occurrence'),
  'Last seen time': def('last_occurrence_timestamp'),
  'First seen time': def('first_occurrence_timestamp'),
  'Min value': def('min'),
  'Max value': def('max'),
  'Favorite Item': def('most_frequent'),
  Logins: def('count'),
  'Cut off': def('sum', { seeding: { cutoff_date: '2019-12-01T00:00:00' } }),
};
const ids = new Map<string, number>();

function newAttribute(name: string, draft: Definition | null, active: Definition | null = null): Omit<CalculatedAttribute, 'id' | 'workspaceId'> {
  return {
    name,
    description: null,
    created_on: '2026-01-01T00:00:00.000Z',
    created_by: 'client_id:test',
    last_modified_on: null,
    last_modified_by: null,
    draft_definition: draft,
    active_definition: active,
    activated_on: active ? '2026-01-02T00:00:00.000Z' : null,
    activated_by: active ? 'client_id:test' : null,
    revision: active ? 1 : 0,
  };
}

async function create(w: typeof ws, attribute: Omit<CalculatedAttribute, 'id' | 'workspaceId'>): Promise<number> {
  const created = await q.stores.calculated.create(w, attribute);
  if (created === 'name-taken') throw new Error(`${attribute.name} exists`);
  return created.id;
}

function post(url: string, payload: unknown, headers: Record<string, string> = {}) {
  return q.app.inject({
    method: 'POST',
    url,
    headers: { authorization: basicAuth(), 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/** A user of the workspace, made by an event batch with this customer id (or none) and device ids. */
async function newUser(customerId: string | null, deviceInfo: Record<string, string> = {}): Promise<Mpid> {
  const res = await post('/v2/events', {
    environment: 'development',
    user_identities: customerId === null ? {} : { customer_id: customerId },
    device_info: deviceInfo,
    events: [{ event_type: 'custom_event', data: { event_name: 'Signed up', custom_event_type: 'other' } }],
  });
  expect(res.statusCode).toBe(202);
  const known = customerId === null ? { ios_idfv: deviceInfo.ios_idfv! } : { customer_id: customerId };
  return q.use('graph').search(ws, known)!.mpid;
}

async function seedsOf(mpid: Mpid, w = ws): Promise<Map<number, AttributeState>> {
  return (await q.stores.calculated.users(w, [mpid])).get(mpid)?.seeds ?? new Map();
}

/** The state `parseSeed` makes of a seed: what the store must hold. */
function stateOf(name: string, seed: unknown, cutoff = '2019-12-01'): AttributeState {
  const r = parseSeed(name, DEFINITIONS[name]!, seed, cutoff);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.state;
}

const seedOf = (name: string, calculation_type: string, seed: unknown, cutoff_date = '2019-12-01') => ({ attribute_name: name, calculation_type, cutoff_date, seed });
const user = (who: Record<string, unknown>, seeds: unknown[], extra: Record<string, unknown> = {}) => ({
  environment: 'production',
  ...who,
  calculated_attributes: { workspace: seeds },
  ...extra,
});
const messages = (res: { json(): unknown }) => (res.json() as { errors: { code: string; message: string }[] }).errors.map((e) => e.message);

let u123: Mpid;
let uAbc: Mpid;

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  for (const [name, definition] of Object.entries(DEFINITIONS)) ids.set(name, await create(ws, newAttribute(name, definition)));
  u123 = await newUser('123xyz', { android_advertising_id: GAID });
  uAbc = await newUser('abc234');
});
afterAll(async () => {
  await q.close();
});

describe('POST /v2/calculatedattributes', () => {
  it("stores the page's sample request: a seed of every calculation type as its state, found by identities, and its user attributes reach the profile", async () => {
    const res = await post('/v2/calculatedattributes', singleSeedExample);
    expect(res.statusCode).toBe(202);
    expect(res.body).toBe('');
    const seeds = await seedsOf(u123);
    for (const s of singleSeedExample.calculated_attributes.workspace) {
      expect(seeds.get(ids.get(s.attribute_name)!), s.attribute_name).toEqual(stateOf(s.attribute_name, s.seed));
    }
    expect(seeds.size).toBe(11);
    const now = Date.UTC(2026, 0, 10);
    expect(valueAt(DEFINITIONS['Average Session Length']!, seeds.get(ids.get('Average Session Length')!)!, now)).toBe('14.96');
    expect(valueAt(DEFINITIONS['Favorite Item']!, seeds.get(ids.get('Favorite Item')!)!, now)).toBe('ice cream');
    await q.processor.caughtUp();
    expect((await q.stores.profiles.get(ws, u123))?.userAttributes).toMatchObject({ 'User Tier': 'Free' });
  });

  it('finds the user by mpid, a 64-bit JSON number kept exact, and ignores identities then', async () => {
    const body = JSON.stringify(user({ identities: { customer_id: 'nobody' } }, [seedOf('Logins', 'count', { value: '7' })]));
    const res = await post('/v2/calculatedattributes', body.replace('{', `{"mpid": ${uAbc},`));
    expect(res.statusCode).toBe(202);
    expect((await seedsOf(uAbc)).get(ids.get('Logins')!)).toEqual(stateOf('Logins', { value: '7' }));
  });

  it("finds an anonymous user by a device identity of the page's list (a known user only with a login identity, as IDSync)", async () => {
    const idfv = `idfv-${++seq}`;
    const anonymous = await newUser(null, { ios_idfv: idfv });
    const res = await post('/v2/calculatedattributes', user({ identities: { ios_vendor_id: idfv } }, [seedOf('Logins', 'count', { value: 3 })]));
    expect(res.statusCode).toBe(202);
    expect((await seedsOf(anonymous)).get(ids.get('Logins')!)).toEqual(stateOf('Logins', { value: 3 }));
    const known = await post('/v2/calculatedattributes', user({ identities: { google_advertising_id: GAID } }, [seedOf('Logins', 'count', { value: 3 })]));
    expect(messages(known)).toEqual([`No user of this workspace matches the identities google_advertising_id "${GAID}".`]);
  });

  it('overwrites the earlier seed of an attribute, leaving the others', async () => {
    const mpid = await newUser(`over-${++seq}`);
    expect((await post('/v2/calculatedattributes', user({ mpid }, [seedOf('LTV', 'sum', { value: 10 }), seedOf('Logins', 'count', { value: 1 })]))).statusCode).toBe(202);
    expect((await post('/v2/calculatedattributes', user({ mpid }, [seedOf('LTV', 'sum', { value: '25.5' })]))).statusCode).toBe(202);
    const seeds = await seedsOf(mpid);
    expect(seeds.get(ids.get('LTV')!)).toEqual(stateOf('LTV', { value: '25.5' }));
    expect(seeds.get(ids.get('Logins')!)).toEqual(stateOf('Logins', { value: 1 }));
  });

  it('reads minimum and maximum as min and max', async () => {
    const mpid = await newUser(`minmax-${++seq}`);
    const res = await post('/v2/calculatedattributes', user({ mpid }, [seedOf('Min value', 'minimum', { value: -4 }), seedOf('Max value', 'maximum', { value: '9' })]));
    expect(res.statusCode).toBe(202);
    const seeds = await seedsOf(mpid);
    expect(seeds.get(ids.get('Min value')!)).toEqual(stateOf('Min value', { value: -4 }));
    expect(seeds.get(ids.get('Max value')!)).toEqual(stateOf('Max value', { value: '9' }));
  });

  it("answers the page's example error body: an unknown attribute and a non-numeric seed, storing nothing", async () => {
    const mpid = await newUser(`errors-${++seq}`);
    const res = await post('/v2/calculatedattributes', user({ mpid }, [seedOf('test sum', 'sum', { value: 1 }), seedOf('LTV', 'sum', { value: 'a lot' }), seedOf('Logins', 'count', { value: 2 })]));
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_CA_SEED_REQUEST_INVALID');
    expect(res.json()).toEqual({
      errors: [
        { code: 'BAD_REQUEST', message: 'test sum: No matching calculated attribute definition found' },
        { code: 'BAD_REQUEST', message: 'LTV: Seed value must be numeric' },
      ],
    });
    expect((await seedsOf(mpid)).size).toBe(0);
  });

  it("refuses a calculation type that is not the attribute's, and one that is none", async () => {
    const res = await post('/v2/calculatedattributes', user({ mpid: uAbc }, [seedOf('LTV', 'count', { value: 1 }), seedOf('Logins', 'median', { value: 1 })]));
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual([
      "LTV: Calculation type 'count' does not match the calculated attribute's calculation type 'sum'",
      'Logins: Invalid calculation type',
    ]);
  });

  it("checks the seed against the active definition when there is one, else the draft, and the definition's seeding cutoff", async () => {
    const id = await create(ws, newAttribute('Changed', def('count'), def('sum')));
    const mpid = await newUser(`active-${++seq}`);
    const wrong = await post('/v2/calculatedattributes', user({ mpid }, [seedOf('Changed', 'count', { value: 1 })]));
    expect(messages(wrong)).toEqual(["Changed: Calculation type 'count' does not match the calculated attribute's calculation type 'sum'"]);
    expect((await post('/v2/calculatedattributes', user({ mpid }, [seedOf('Changed', 'sum', { value: 1.5 })]))).statusCode).toBe(202);
    expect((await seedsOf(mpid)).get(id)?.calculation_type).toBe('sum');
    // The active attribute's value, seeded, reaches the event store.
    await expect.poll(async () => (await q.use('events').calculatedValues(ws, mpid))?.values).toEqual({ Changed: '1.5' });
    const cutoff = await post('/v2/calculatedattributes', user({ mpid }, [seedOf('Cut off', 'sum', { value: 1 }, '2019-11-30')]));
    expect(messages(cutoff)).toEqual(["Cut off: Seed cutoff date does not match the calculated attribute's seeding cutoff date"]);
    expect((await post('/v2/calculatedattributes', user({ mpid }, [seedOf('Cut off', 'sum', { value: 1 }, '2019-12-01')]))).statusCode).toBe(202);
  });

  it("does not match another workspace's attribute", async () => {
    const id = await create(other, newAttribute('Elsewhere', def('sum')));
    const res = await post('/v2/calculatedattributes', user({ mpid: uAbc }, [seedOf('Elsewhere', 'sum', { value: 1 })]));
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual(['Elsewhere: No matching calculated attribute definition found']);
    expect((await seedsOf(uAbc, other)).get(id)).toBeUndefined();
  });

  it('refuses an unknown user, by mpid or by identities, naming it, and never creates one', async () => {
    const byMpid = await post('/v2/calculatedattributes', user({ mpid: '123456789' }, [seedOf('LTV', 'sum', { value: 1 })]));
    expect(byMpid.statusCode).toBe(400);
    expect(messages(byMpid)).toEqual(['No user has mpid 123456789 in this workspace.']);
    const byIds = await post('/v2/calculatedattributes', user({ identities: { customer_id: 'ghost', email: 'ghost@example.com' } }, [seedOf('LTV', 'sum', { value: 1 })]));
    expect(messages(byIds)).toEqual(['No user of this workspace matches the identities customer_id "ghost", email "ghost@example.com".']);
    expect(q.use('graph').search(ws, { customer_id: 'ghost' })).toBeUndefined();
    expect(q.use('graph').record(ws, '123456789' as Mpid)).toBeUndefined();
  });

  it('lists every problem of the fields: environment, the user, identities, seeds and user attributes', async () => {
    const res = await post('/v2/calculatedattributes', {
      environment: 'staging',
      identities: { customer_id: '', shoe_size: '42' },
      calculated_attributes: { workspace: [{ calculation_type: 'sum' }, 'LTV', seedOf('LTV', 'sum', { value: 1 }), seedOf('LTV', 'sum', { value: 2 })] },
      user_attributes: { workspace: [{ attribute_name: 'Tier', attribute_value: { nested: true } }, { attribute_value: 'x' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual([
      'Field \'environment\' must be "production" or "development", not "staging".',
      "Identity 'customer_id' must be a non-empty string.",
      expect.stringMatching(/^Identity type 'shoe_size' is not supported; use an Events API user identity type or one of: android_id, google_advertising_id/),
      "Field 'calculated_attributes.workspace[0].attribute_name' is required.",
      "Field 'calculated_attributes.workspace[1]' must be an object.",
      'LTV: Calculated attribute seeded more than once for this user',
      "Field 'user_attributes.workspace[0].attribute_value' must be a string, a number, a boolean or a list of strings.",
      "Field 'user_attributes.workspace[1].attribute_name' is required.",
    ]);
    const missing = await post('/v2/calculatedattributes', {});
    expect(messages(missing)).toEqual([
      'Field \'environment\' is required: "production" or "development".',
      "Field 'mpid' or 'identities' is required to find the user.",
      "Field 'calculated_attributes' is required.",
    ]);
    const badMpid = await post('/v2/calculatedattributes', user({ mpid: 0 }, []));
    expect(messages(badMpid)).toEqual(["Field 'mpid' must be a signed 64-bit integer, not zero."]);
  });

  it('answers 401 without credentials, 403 with wrong ones, 415 for a body not JSON, 400 for malformed JSON, an empty body or an array', async () => {
    const body = user({ mpid: uAbc }, [seedOf('LTV', 'sum', { value: 1 })]);
    const missing = await q.app.inject({ method: 'POST', url: '/v2/calculatedattributes', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    expect([missing.statusCode, missing.json().errors[0].code]).toEqual([401, 'UNAUTHORIZED']);
    const wrong = await post('/v2/calculatedattributes', body, { authorization: basicAuth('test-key', 'wrong') });
    expect([wrong.statusCode, wrong.json().errors[0].code]).toEqual([403, 'FORBIDDEN']);
    const text = await post('/v2/calculatedattributes', JSON.stringify(body), { 'content-type': 'text/plain' });
    expect([text.statusCode, text.headers['x-quanta-error-code']]).toEqual([415, 'QUANTA_CA_SEED_CONTENT_TYPE_UNSUPPORTED']);
    const malformed = await post('/v2/calculatedattributes', '{"environment": "production",');
    expect([malformed.statusCode, malformed.headers['x-quanta-error-code']]).toEqual([400, 'QUANTA_HTTP_JSON_MALFORMED']);
    const empty = await post('/v2/calculatedattributes', '');
    expect([empty.statusCode, empty.headers['x-quanta-error-code']]).toEqual([400, 'QUANTA_HTTP_BODY_EMPTY']);
    const array = await post('/v2/calculatedattributes', [body]);
    expect([array.statusCode, array.headers['x-quanta-error-code']]).toEqual([400, 'QUANTA_CA_SEED_BODY_NOT_OBJECT']);
  });

  it("takes the path with a trailing slash, as the page's samples write it", async () => {
    expect((await post('/v2/calculatedattributes/', user({ mpid: uAbc }, [seedOf('Logins', 'count', { value: 5 })]))).statusCode).toBe(202);
    expect((await post('/v2/bulkcalculatedattributes/', [user({ mpid: uAbc }, [seedOf('Logins', 'count', { value: 6 })])])).statusCode).toBe(202);
    expect((await seedsOf(uAbc)).get(ids.get('Logins')!)).toEqual(stateOf('Logins', { value: 6 }));
  });
});

describe('POST /v2/bulkcalculatedattributes', () => {
  it("stores the page's sample bulk request, each user found by identities, seeds overwriting earlier ones", async () => {
    const res = await post('/v2/bulkcalculatedattributes', bulkSeedExample);
    expect(res.statusCode).toBe(202);
    expect((await seedsOf(u123)).get(ids.get('LTV')!)).toEqual(stateOf('LTV', { value: 100.5 }));
    expect((await seedsOf(uAbc)).get(ids.get('LTV')!)).toEqual(stateOf('LTV', { value: 80 }));
    const again = await post('/v2/bulkcalculatedattributes', [user({ identities: { customer_id: 'abc234' } }, [seedOf('LTV', 'sum', { value: 81 })])]);
    expect(again.statusCode).toBe(202);
    expect((await seedsOf(uAbc)).get(ids.get('LTV')!)).toEqual(stateOf('LTV', { value: 81 }));
  });

  it('stores nothing when one seed of one user is bad, neither seeds nor user attributes, naming the user', async () => {
    const [a, b] = [await newUser(`bulk-a-${++seq}`), await newUser(`bulk-b-${++seq}`)];
    const res = await post('/v2/bulkcalculatedattributes', [
      user({ mpid: a }, [seedOf('LTV', 'sum', { value: 5 })], { user_attributes: { workspace: [{ attribute_name: 'Plan', attribute_value: 'Gold' }] } }),
      user({ mpid: b }, [seedOf('Logins', 'count', { value: 1 }), seedOf('LTV', 'sum', { value: 'five' })]),
      user({ mpid: '987654321' }, []),
    ]);
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual(['LTV: Seed value must be numeric (user [1])', 'No user has mpid 987654321 in this workspace. (user [2])']);
    expect((await seedsOf(a)).size).toBe(0);
    expect((await seedsOf(b)).size).toBe(0);
    await q.processor.caughtUp();
    expect((await q.stores.profiles.get(ws, a))?.userAttributes.Plan).toBeUndefined();
  });

  it('applies every user attribute of a bulk request to its profile', async () => {
    const [a, b] = [await newUser(`attrs-a-${++seq}`), await newUser(`attrs-b-${++seq}`)];
    const res = await post('/v2/bulkcalculatedattributes', [
      user({ mpid: a }, [], { user_attributes: { workspace: [{ attribute_name: 'Plan', attribute_value: 'Gold' }, { attribute_name: 'Seats', attribute_value: 3 }] } }),
      user({ mpid: b }, [seedOf('Logins', 'count', { value: 1 })], { user_attributes: { workspace: [{ attribute_name: 'Tags', attribute_value: ['a', 'b'] }] } }),
    ]);
    expect(res.statusCode).toBe(202);
    await q.processor.caughtUp();
    expect((await q.stores.profiles.get(ws, a))?.userAttributes).toMatchObject({ Plan: 'Gold', Seats: 3 });
    expect((await q.stores.profiles.get(ws, b))?.userAttributes).toMatchObject({ Tags: ['a', 'b'] });
  });

  it('takes an array of 1 to 100 users', async () => {
    const one = user({ mpid: uAbc }, [seedOf('Logins', 'count', { value: 1 })]);
    const notArray = await post('/v2/bulkcalculatedattributes', one);
    expect([notArray.statusCode, notArray.headers['x-quanta-error-code']]).toEqual([400, 'QUANTA_CA_SEED_BULK_NOT_ARRAY']);
    const empty = await post('/v2/bulkcalculatedattributes', []);
    expect(empty.headers['x-quanta-error-code']).toBe('QUANTA_CA_SEED_BULK_EMPTY');
    const many = await post('/v2/bulkcalculatedattributes', Array.from({ length: 101 }, () => one));
    expect([many.statusCode, many.headers['x-quanta-error-code']]).toEqual([400, 'QUANTA_CA_SEED_BULK_TOO_MANY']);
    expect((await post('/v2/bulkcalculatedattributes', Array.from({ length: 100 }, () => one))).statusCode).toBe(202);
    const notUser = await post('/v2/bulkcalculatedattributes', [one, 'user']);
    expect(messages(notUser)).toEqual(['The user must be a JSON object. (user [1])']);
  });

  it("keeps the Events API's body limits: 256 KB a request (413), 128 KB a user (400)", async () => {
    const big = (kb: number) => user({ mpid: uAbc }, [], { user_attributes: { workspace: [{ attribute_name: 'blob', attribute_value: 'x'.repeat(kb * 1024) }] } });
    const tooLarge = await post('/v2/bulkcalculatedattributes', [big(260)]);
    expect([tooLarge.statusCode, tooLarge.json().errors[0].message]).toEqual([413, expect.stringMatching(/256 KB/)]);
    const userTooLarge = await post('/v2/bulkcalculatedattributes', [big(1), big(130)]);
    expect(messages(userTooLarge)).toEqual(['The user is larger than 128 KB; send fewer seeds and user attributes for it. (user [1])']);
  });

  it('documents both routes in /openapi.json with the sample requests', async () => {
    const doc = (await q.app.inject('/openapi.json')).json() as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { example?: unknown }> }; responses: Record<string, unknown> } }>;
    };
    expect(doc.paths['/v2/calculatedattributes']!.post.requestBody.content['application/json']!.example).toEqual(singleSeedExample);
    expect(doc.paths['/v2/bulkcalculatedattributes']!.post.requestBody.content['application/json']!.example).toEqual(bulkSeedExample);
    expect(Object.keys(doc.paths['/v2/bulkcalculatedattributes']!.post.responses)).toEqual(['202', '400', '401', '403', '413', '415', '429']);
  });
});

describe('rate limit', () => {
  it("counts each user against the input's Events API rate: 429 with Retry-After, nothing stored", async () => {
    const limited = await quantaApp({ QUANTA_RATE_LIMIT: '100' });
    try {
      const created = await limited.stores.calculated.create(ws, newAttribute('Logins', def('count')));
      const id = (created as CalculatedAttribute).id;
      const send = (url: string, body: unknown) =>
        limited.app.inject({ method: 'POST', url, headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      const signup = await send('/v2/events', { environment: 'production', user_identities: { customer_id: 'rl' }, events: [] });
      expect(signup.statusCode).toBe(202);
      const mpid = limited.use('graph').search(ws, { customer_id: 'rl' })!.mpid;
      const users = (value: number) => Array.from({ length: 60 }, () => user({ mpid }, [seedOf('Logins', 'count', { value })]));
      const first = await send('/v2/bulkcalculatedattributes', users(1));
      expect(first.statusCode).toBe(202);
      expect(Number(first.headers['x-mp-rate-limit-percentage-used'])).toBeGreaterThanOrEqual(60);
      const second = await send('/v2/bulkcalculatedattributes', users(2));
      expect(second.statusCode).toBe(429);
      expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(second.json().errors[0].code).toBe('RATE_LIMITED');
      const events = await send('/v2/bulkevents', Array.from({ length: 60 }, () => ({ environment: 'production', mpid, events: [] })));
      expect(events.statusCode).toBe(429);
      const seeds = (await limited.stores.calculated.users(ws, [mpid])).get(mpid)!.seeds;
      expect(seeds.get(id)).toEqual(stateOf('Logins', { value: 1 }));
    } finally {
      await limited.close();
    }
  });
});
