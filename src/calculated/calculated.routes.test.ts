import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMpid, workspaceId, type Mpid } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { bearerAuth, CLIENT_ID, quantaApp } from '../../test/helpers/quanta-app.ts';
import { parseSeed } from './seeds.ts';

const DAY_MS = 86_400_000;
/** A date-time `days` ago, at midnight UTC, as the Platform API's examples write them. */
const daysAgo = (days: number) => `${new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10)}T00:00:00`;
const SINCE = daysAgo(30);
const BY = `client_id:${CLIENT_ID}`;
const OTHER_WS = workspaceId(2); // of the same organisation: the caller may read it
const FOREIGN_WS = workspaceId(77); // of another organisation
const base = (ws: number = 1) => `/platform/v2/workspaces/${ws}/calculatedattributes`;
const BASE = base();

type Json = Record<string, unknown>;
const dataPoint = { type: 'event', event_name: 'Purchase', attribute_name: 'amount', event_type: 'custom_event', custom_event_type: 'transaction' };
const definition = (over: Json = {}): Json => ({
  recipe_type: 'event',
  datapoint: dataPoint,
  conditions: [],
  calculation_type: 'sum',
  time_period: { type: 'since', date: SINCE, within: null, within_unit: null },
  seeding: null,
  ...over,
});
/** The definition as the API answers it: normalised, under `datapoint`. */
const answered = (over: Json = {}): Json => ({
  ...definition(over),
  datapoint: { ...dataPoint, attribute_category: 'event_attribute', use_product_quantity: false },
});

let q: Quanta;
let bearer: string;

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
const callOn = (app: Quanta, auth: string) => (method: Method, url: string, payload?: unknown) =>
  app.app.inject({
    method,
    url,
    headers: { authorization: auth, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
let call: ReturnType<typeof callOn>;

/** Creates an attribute through the API; answers its id. */
async function create(body: Json): Promise<number> {
  const res = await call('POST', BASE, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as number;
}
const get = async (id: number) => (await call('GET', `${BASE}/${id}`)).json() as Json;
const all = async () => (await call('GET', BASE)).json() as Json[];
const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);
let names = 0;
const uniqueName = (prefix = 'ca') => `${prefix} ${++names}`;

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  q.stores.platform.saveTenant({ orgId: 1, accountId: 1, workspaceId: OTHER_WS });
  q.stores.platform.saveTenant({ orgId: 99, accountId: 99, workspaceId: FOREIGN_WS });
  bearer = await bearerAuth(q);
  call = callOn(q, bearer);
});
afterAll(async () => {
  await q.close();
});

describe('Calculated Attributes API: create, read, list', () => {
  it('creates a draft and answers its integer id; reads it back with the documented fields', async () => {
    const res = await call('POST', BASE, { name: 'Purchases', description: 'Total spent', draft_definition: definition() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const id = res.json() as number;
    expect(Number.isInteger(id)).toBe(true);

    const got = await call('GET', `${BASE}/${id}`);
    expect(got.statusCode).toBe(200);
    const body = got.json() as Json;
    expect(body).toEqual({
      id,
      name: 'Purchases',
      description: 'Total spent',
      created_by: BY,
      created_on: expect.any(String),
      last_modified_on: null,
      last_modified_by: null,
      active_definition: null,
      draft_definition: answered(),
      audience_count: 0,
      activated_on: null,
      activated_by: null,
    });
    expect(Date.parse(body.created_on as string)).toBeGreaterThan(Date.now() - 60_000);
    expect((await all()).find((a) => a.id === id)).toEqual(body);
  });

  it("accepts the data point as 'datapoint' or 'data_point', and answers it as 'datapoint'", async () => {
    const { datapoint, ...rest } = definition();
    const id = await create({ name: uniqueName(), draft_definition: { ...rest, data_point: datapoint } });
    expect((await get(id)).draft_definition).toEqual(answered());
    const other = await create({ name: uniqueName(), draft_definition: definition() });
    expect((await get(other)).draft_definition).toEqual(answered());
  });

  it('stores the documented create example (a commerce count with seeding)', async () => {
    const draft = {
      recipe_type: 'event',
      datapoint: {
        type: 'event',
        event_name: 'Add To Cart',
        attribute_name: null,
        event_type: 'commerce_event',
        custom_event_type: 'add_to_cart',
        attribute_category: 'product_attribute',
        use_product_quantity: true,
      },
      conditions: [],
      calculation_type: 'count',
      time_period: { type: 'since', date: SINCE, within: null, within_unit: null },
      seeding: { cutoff_date: daysAgo(28) },
    };
    const id = await create({ name: 'New Calculated Attribute', draft_definition: draft });
    expect(await get(id)).toMatchObject({ name: 'New Calculated Attribute', description: null, draft_definition: draft });
  });

  it('filters the list by name, whatever its case; HEAD answers 204 or 404 with no body', async () => {
    const name = uniqueName('Filter Me');
    const id = await create({ name, draft_definition: definition() });
    const listed = await call('GET', `${BASE}?name=${encodeURIComponent(name.toUpperCase())}`);
    expect(listed.statusCode).toBe(200);
    expect((listed.json() as Json[]).map((a) => a.id)).toEqual([id]);
    expect((await call('GET', `${BASE}?name=nobody`)).json()).toEqual([]);

    const found = await call('HEAD', `${BASE}?name=${encodeURIComponent(name)}`);
    expect(found.statusCode).toBe(204);
    expect(found.body).toBe('');
    const missing = await call('HEAD', `${BASE}?name=nobody`);
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe('');
    expect((await call('HEAD', BASE)).statusCode).toBe(204);
    const malformed = await call('HEAD', '/platform/v2/workspaces/abc/calculatedattributes');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['x-quanta-error-code']).toBe('QUANTA_HTTP_PATH_ID_INVALID');
  });

  it('answers HEAD 404 for a workspace without calculated attributes', async () => {
    const fresh = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
    try {
      const head = await callOn(fresh, await bearerAuth(fresh))('HEAD', BASE);
      expect(head.statusCode).toBe(404);
      expect(head.body).toBe('');
    } finally {
      await fresh.close();
    }
  });

  it('lists in id order', async () => {
    const ids = (await all()).map((a) => a.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe('Calculated Attributes API: validation', () => {
  const rejects = async (body: unknown, expected: (string | RegExp)[]) => {
    const before = await all();
    const res = await call('POST', BASE, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_CA_INVALID');
    expect((res.json() as { errors: { code: string }[] }).errors.every((e) => e.code === 'BAD_REQUEST')).toBe(true);
    expect(messages(res)).toEqual(expected.map((m) => (typeof m === 'string' ? m : expect.stringMatching(m))));
    expect(await all()).toEqual(before); // nothing stored
  };

  it('names every missing field', async () => {
    await rejects({ description: 'no name' }, ["Field 'name' is required.", "Field 'draft_definition' is required."]);
    await rejects({ name: '', draft_definition: definition() }, ["Field 'name' is required."]);
    await rejects({ name: '   ', draft_definition: definition() }, ["Field 'name' is required."]);
    await rejects({ name: null, draft_definition: definition() }, ["Field 'name' is required."]);
    await rejects({ name: 'no draft' }, ["Field 'draft_definition' is required."]);
    await rejects({ name: 'null draft', draft_definition: null }, ["Field 'draft_definition' is required."]);
  });

  it('refuses fields of the wrong type, and a body that is not an object', async () => {
    await rejects({ name: 5, draft_definition: definition() }, ["Field 'name' must be a string."]);
    await rejects({ name: uniqueName(), description: 5, draft_definition: definition() }, ["Field 'description' must be a string."]);
    await rejects([], ['The request body must be a JSON object.']);
    await rejects('"text"', ['The request body must be a JSON object.']);
  });

  it('refuses a name already used in the workspace, whatever its case, with the other problems', async () => {
    const name = uniqueName('Taken');
    await create({ name, draft_definition: definition() });
    await rejects({ name, draft_definition: definition() }, ["Field 'name' must be unique."]);
    await rejects({ name: name.toLowerCase(), draft_definition: definition() }, ["Field 'name' must be unique."]);
    await rejects({ name: name.toUpperCase(), draft_definition: definition({ recipe_type: 'user' }) }, [
      "Field 'name' must be unique.",
      'Invalid recipe type',
    ]);
  });

  const condition = (c: Json) => definition({ conditions: [{ attribute_name: 'genre', value: null, values: null, min_value: null, max_value: null, ...c }] });
  const cases: [string, Json, string | RegExp][] = [
    ['all time', definition({ time_period: { type: 'all' } }), "Field 'time_period.type' = 'all' is not supported."],
    ['since before the retention period', definition({ time_period: { type: 'since', date: daysAgo(400) } }), /^'time_period\.date' must be on or after the earliest date available of \d{4}-\d{2}-\d{2}$/],
    [
      'within longer than the retention period',
      definition({ time_period: { type: 'within', within: 53, within_unit: 'weeks' } }),
      'The within time period cannot exceed your configured retention period of 365 days for Calculated Attributes',
    ],
    ['recipe type', definition({ recipe_type: 'audience' }), 'Invalid recipe type'],
    ['calculation type', definition({ calculation_type: 'median' }), 'Invalid calculation type'],
    ['no time period', definition({ time_period: null }), 'Invalid time period specification'],
    ['time period type', definition({ time_period: { type: 'until' } }), "Invalid 'type' time period specification"],
    ['within', definition({ time_period: { type: 'within', within: 0, within_unit: 'days' } }), "Invalid 'within' time period specification"],
    ['within unit', definition({ time_period: { type: 'within', within: 3, within_unit: 'months' } }), "Invalid 'within_unit' time period specification"],
    ['custom event name', definition({ datapoint: { ...dataPoint, event_name: null } }), 'Invalid data point custom event name'],
    ['custom event type', definition({ datapoint: { ...dataPoint, custom_event_type: 'purchase' } }), 'Invalid data point custom event type'],
    ['conditions', definition({ conditions: 'genre = rock' }), 'Invalid condition definition'],
    ['condition type', condition({ type: 'list', operator: 'exists' }), 'Invalid condition definition type'],
    ['string operator', condition({ type: 'string', operator: 'greater_than', value: '1' }), 'Invalid string condition operator'],
    ['condition attribute', condition({ type: 'string', operator: 'exists', attribute_name: null }), 'Condition attribute name must be specified'],
    ['in-list values', condition({ type: 'string', operator: 'in_list' }), 'In-list condition values must be specified'],
    ['string value', condition({ type: 'string', operator: 'equals' }), 'String condition value must be specified'],
    ['numeric operator', condition({ type: 'number', operator: 'contains', value: '1' }), 'Invalid numeric condition operator'],
    ['numeric in-list', condition({ type: 'number', operator: 'in_list', values: ['one'] }), 'Invalid numeric in-list condition values'],
    ['numeric minimum', condition({ type: 'number', operator: 'between', min_value: 'low', max_value: '5' }), 'Invalid numeric condition minimum value'],
    ['numeric maximum', condition({ type: 'number', operator: 'between', min_value: '1', max_value: 'high' }), 'Invalid numeric condition maximum value'],
    ['numeric value', condition({ type: 'number', operator: 'equals', value: 'ten' }), 'Invalid numeric condition value'],
    ['boolean operator', condition({ type: 'boolean', operator: 'in_list', values: ['true'] }), 'Invalid boolean condition operator'],
    ['boolean value', condition({ type: 'boolean', operator: 'equals', value: 'maybe' }), 'Invalid boolean condition value'],
    ['date operator', condition({ type: 'date', operator: 'greater_than', value: '2025-01-01' }), 'Invalid date condition operator'],
    ['date minimum', condition({ type: 'date', operator: 'between_dates', min_value: 'then', max_value: '2025-01-01' }), 'Invalid date condition minimum value'],
    ['date maximum', condition({ type: 'date', operator: 'between_dates', min_value: '2025-01-01', max_value: 'later' }), 'Invalid date condition maximum value'],
    ['date value', condition({ type: 'date', operator: 'after', value: 'yesterday' }), 'Invalid date condition value'],
    ['value of a range', condition({ type: 'number', operator: 'between', value: '3', min_value: '1', max_value: '5' }), 'Condition value must be empty'],
    ['values of a single value', condition({ type: 'string', operator: 'equals', value: 'rock', values: ['pop'] }), 'Condition values must be empty'],
    ['minimum of a single value', condition({ type: 'string', operator: 'equals', value: 'rock', min_value: 'a' }), 'Condition minimum value must be empty'],
    ['maximum of a single value', condition({ type: 'string', operator: 'equals', value: 'rock', max_value: 'z' }), 'Condition maximum value must be empty'],
  ];
  it.each(cases)('answers the documented message: %s', async (_what, draft, message) => {
    await rejects({ name: uniqueName('invalid'), draft_definition: draft }, [message]);
  });

  it('answers a malformed id as a 400, an unknown one as a 404 with the errors body', async () => {
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      const res = await call('GET', `${BASE}/${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.headers['x-quanta-error-code']).toBe('QUANTA_HTTP_PATH_ID_INVALID');
    }
    const unknown = await call('GET', `${BASE}/987654`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['x-quanta-error-code']).toBe('QUANTA_CA_NOT_FOUND');
    expect(unknown.json()).toEqual({ errors: [{ code: 'NOT_FOUND', message: 'Calculated attribute 987654 was not found in workspace 1.' }] });
  });

  it('wants a Bearer token', async () => {
    expect((await q.app.inject({ method: 'GET', url: BASE })).statusCode).toBe(401);
    expect((await q.app.inject({ method: 'POST', url: BASE, payload: { name: 'x' } })).statusCode).toBe(401);
  });
});

describe('Calculated Attributes API: update', () => {
  it('replaces the draft and the description (204), stamping the change', async () => {
    const id = await create({ name: uniqueName(), description: 'first', draft_definition: definition() });
    const name = (await get(id)).name as string;
    const res = await call('PUT', `${BASE}/${id}`, { name, description: 'second', draft_definition: definition({ calculation_type: 'max' }) });
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    const after = await get(id);
    expect(after).toMatchObject({ name, description: 'second', draft_definition: answered({ calculation_type: 'max' }), last_modified_by: BY });
    expect(Date.parse(after.last_modified_on as string)).toBeGreaterThan(Date.now() - 60_000);

    // Without a description it is kept; null clears it.
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: definition() });
    expect((await get(id)).description).toBe('second');
    await call('PUT', `${BASE}/${id}`, { name, description: null, draft_definition: definition() });
    expect((await get(id)).description).toBeNull();
  });

  it('renames before the first activation, to a name not used in the workspace', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    const renamed = uniqueName('Renamed');
    expect((await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: definition() })).statusCode).toBe(204);
    expect((await get(id)).name).toBe(renamed);
    // A change of case is a rename too.
    expect((await call('PUT', `${BASE}/${id}`, { name: renamed.toUpperCase(), draft_definition: definition() })).statusCode).toBe(204);
    expect((await get(id)).name).toBe(renamed.toUpperCase());

    const other = uniqueName('Other');
    await create({ name: other, draft_definition: definition() });
    const before = await get(id);
    const taken = await call('PUT', `${BASE}/${id}`, { name: other.toLowerCase(), draft_definition: definition({ calculation_type: 'min' }) });
    expect(taken.statusCode).toBe(400);
    expect(messages(taken)).toEqual(["Field 'name' must be unique."]);
    expect(await get(id)).toEqual(before);
  });

  it('keeps the name once activated: only the description and the draft change', async () => {
    const name = uniqueName('Active');
    const id = await create({ name, draft_definition: definition() });
    expect((await call('POST', `${BASE}/${id}/activation`)).statusCode).toBe(204);
    const before = await get(id);
    const refused = await call('PUT', `${BASE}/${id}`, { name: uniqueName('New Name'), description: 'changed', draft_definition: definition() });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['x-quanta-error-code']).toBe('QUANTA_CA_INVALID');
    expect(messages(refused)).toEqual(['Calculated attribute name cannot be changed once the calculated attribute has been activated.']);
    const caseOnly = await call('PUT', `${BASE}/${id}`, { name: name.toUpperCase(), draft_definition: definition() });
    expect(messages(caseOnly)).toEqual(['Calculated attribute name cannot be changed once the calculated attribute has been activated.']);
    expect(await get(id)).toEqual(before);

    const kept = await call('PUT', `${BASE}/${id}`, { name, description: 'changed', draft_definition: definition({ calculation_type: 'average' }) });
    expect(kept.statusCode).toBe(204);
    expect(await get(id)).toMatchObject({
      name,
      description: 'changed',
      active_definition: answered(),
      draft_definition: answered({ calculation_type: 'average' }),
    });
  });

  it('answers the create validation messages, and stores nothing', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    const before = await get(id);
    const res = await call('PUT', `${BASE}/${id}`, { description: 'x', draft_definition: definition({ time_period: { type: 'all' } }) });
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual(["Field 'name' is required.", "Field 'time_period.type' = 'all' is not supported."]);
    const noDraft = await call('PUT', `${BASE}/${id}`, { name: before.name });
    expect(messages(noDraft)).toEqual(["Field 'draft_definition' is required."]);
    expect(await get(id)).toEqual(before);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await call('PUT', `${BASE}/987654`, { name: 'x', draft_definition: definition() });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_CA_NOT_FOUND');
  });
});

describe('Calculated Attributes API: activation and drafts', () => {
  it('moves the draft into the active definition and bumps the revision; answers the activation status', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    expect((await call('GET', `${BASE}/${id}/activation`)).json()).toEqual({ calculated_attribute_id: id, is_active: false, activated_on: null, activated_by: null });
    const created = await get(id);

    const res = await call('POST', `${BASE}/${id}/activation`);
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    const active = await get(id);
    expect(active).toMatchObject({ active_definition: answered(), draft_definition: null, activated_by: BY });
    // Activation is not a modification.
    expect(active.last_modified_on).toBe(created.last_modified_on);
    expect(Date.parse(active.activated_on as string)).toBeGreaterThan(Date.now() - 60_000);
    expect((await q.stores.calculated.get(workspaceId(1), id))!.revision).toBe(1);
    expect((await call('GET', `${BASE}/${id}/activation`)).json()).toEqual({
      calculated_attribute_id: id,
      is_active: true,
      activated_on: active.activated_on,
      activated_by: BY,
    });

    const again = await call('POST', `${BASE}/${id}/activation`);
    expect(again.statusCode).toBe(400);
    expect(again.headers['x-quanta-error-code']).toBe('QUANTA_CA_NO_DRAFT');
    expect(messages(again)).toEqual(['No draft definition was found to activate.']);

    await call('PUT', `${BASE}/${id}`, { name: active.name, draft_definition: definition({ calculation_type: 'count', datapoint: { ...dataPoint, attribute_name: null } }) });
    expect((await call('POST', `${BASE}/${id}/activation`)).statusCode).toBe(204);
    const stored = (await q.stores.calculated.get(workspaceId(1), id))!;
    expect(stored.revision).toBe(2);
    expect(stored.active_definition!.calculation_type).toBe('count');
    expect(stored.draft_definition).toBeNull();
  });

  it('discards the draft (204), leaving the active definition', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    const res = await call('DELETE', `${BASE}/${id}/draft`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await get(id)).toMatchObject({ draft_definition: null, active_definition: null, last_modified_by: BY });
    expect(messages(await call('POST', `${BASE}/${id}/activation`))).toEqual(['No draft definition was found to activate.']);
    // Nothing to discard is not an error.
    expect((await call('DELETE', `${BASE}/${id}/draft`)).statusCode).toBe(204);

    const active = await create({ name: uniqueName(), draft_definition: definition() });
    await call('POST', `${BASE}/${active}/activation`);
    await call('PUT', `${BASE}/${active}`, { name: (await get(active)).name, draft_definition: definition({ calculation_type: 'min' }) });
    expect((await call('DELETE', `${BASE}/${active}/draft`)).statusCode).toBe(204);
    expect(await get(active)).toMatchObject({ draft_definition: null, active_definition: answered() });
  });

  it('answers 404 for the activation, draft and calculation of an unknown id', async () => {
    for (const [method, path] of [
      ['POST', 'activation'],
      ['GET', 'activation'],
      ['DELETE', 'draft'],
      ['GET', 'calculation'],
    ] as const) {
      const res = await call(method, `${BASE}/987654/${path}`);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(messages(res)).toEqual(['Calculated attribute 987654 was not found in workspace 1.']);
    }
  });

  it('refuses to activate past the limit of active attributes (QUANTA_CA_MAX_ACTIVE)', async () => {
    const limited = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_CA_MAX_ACTIVE: '2' });
    try {
      const c = callOn(limited, await bearerAuth(limited));
      const ids: number[] = [];
      for (const name of ['one', 'two', 'three']) ids.push((await c('POST', BASE, { name, draft_definition: definition() })).json() as number);
      const [one, two, three] = ids as [number, number, number];
      expect((await c('POST', `${BASE}/${one}/activation`)).statusCode).toBe(204);
      expect((await c('POST', `${BASE}/${two}/activation`)).statusCode).toBe(204);
      const refused = await c('POST', `${BASE}/${three}/activation`);
      expect(refused.statusCode).toBe(400);
      expect(refused.headers['x-quanta-error-code']).toBe('QUANTA_CA_ACTIVE_LIMIT');
      expect(messages(refused)).toEqual(['You have reached the account limit on active calculated attributes.']);
      expect(((await c('GET', `${BASE}/${three}`)).json() as Json).active_definition).toBeNull();

      // An active attribute activated again does not count twice.
      await c('PUT', `${BASE}/${one}`, { name: 'one', draft_definition: definition({ calculation_type: 'max' }) });
      expect((await c('POST', `${BASE}/${one}/activation`)).statusCode).toBe(204);
      // Deleting an active attribute frees its place.
      expect((await c('DELETE', `${BASE}/${two}`)).statusCode).toBe(204);
      expect((await c('POST', `${BASE}/${three}/activation`)).statusCode).toBe(204);
    } finally {
      await limited.close();
    }
  });

  it('checks the draft again at activation: one that left the retention period is not activated', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    const stored = (await q.stores.calculated.get(workspaceId(1), id))!;
    // Stored long ago: its `since` date is now before the retention period.
    const stale = { ...stored.draft_definition!, time_period: { type: 'since' as const, date: daysAgo(400), within: null, within_unit: null } };
    await q.stores.calculated.update({ ...stored, draft_definition: stale });
    const res = await call('POST', `${BASE}/${id}/activation`);
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual(['No draft definition was found to activate.', expect.stringMatching(/^'time_period\.date' must be on or after/)]);
    expect((await get(id)).active_definition).toBeNull();
  });
});

describe('Calculated Attributes API: calculation status', () => {
  it('is 0% and not calculated until the processor has started; then it follows its progress', async () => {
    const id = await create({ name: uniqueName('Calc'), draft_definition: definition() });
    const name = (await get(id)).name;
    const status = async () => {
      const res = await call('GET', `${BASE}/${id}/calculation`);
      expect(res.statusCode).toBe(200);
      return res.json() as Json;
    };
    expect(await status()).toEqual({ id, name, revision_id: null, is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });

    await call('POST', `${BASE}/${id}/activation`);
    expect(await status()).toEqual({ id, name, revision_id: 1, is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });

    const ws = workspaceId(1);
    const startedAtMs = Date.now() - 60_000;
    // A handover no partition reaches: a processor computing activations leaves these records alone.
    const handover = { 0: Number.MAX_SAFE_INTEGER };
    const progress = { workspaceId: ws, id, revision: 1, handover, cursor: null, startedAtMs, completedAtMs: null } as const;
    await q.stores.calculated.putCalculation({ ...progress, status: 'calculating', usersDone: 0, usersTotal: null });
    expect(await status()).toMatchObject({ revision_id: 1, is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });

    await q.stores.calculated.putCalculation({ ...progress, status: 'calculating', usersDone: 40, usersTotal: 100 });
    const halfway = await status();
    expect(halfway).toMatchObject({ is_calculated: false, calculation_percent_complete: 40 });
    // 40 users in a minute, 60 to go: about 90 seconds from now.
    const eta = Date.parse(halfway.estimated_completion_time as string);
    expect(eta).toBeGreaterThan(Date.now() + 80_000);
    expect(eta).toBeLessThan(Date.now() + 100_000);

    const completedAtMs = Date.now() - 1_000;
    await q.stores.calculated.putCalculation({ ...progress, status: 'calculated', usersDone: 100, usersTotal: 100, completedAtMs });
    expect(await status()).toEqual({
      id,
      name,
      revision_id: 1,
      is_calculated: true,
      calculation_percent_complete: 100,
      estimated_completion_time: new Date(completedAtMs).toISOString(),
    });

    // A new activation is a new revision, calculated again.
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: definition({ calculation_type: 'max' }) });
    await call('POST', `${BASE}/${id}/activation`);
    expect(await status()).toMatchObject({ revision_id: 2, is_calculated: false, calculation_percent_complete: 0 });
  });
});

describe('Calculated Attributes API: delete and seeds', () => {
  const MPID = parseMpid('8001') as Mpid;
  const ws = workspaceId(1);
  const seed = async (id: number) => {
    const made = parseSeed('ca', 'sum', { value: 12 }, daysAgo(10));
    if (!made.ok) throw new Error(made.errors.join('; '));
    await q.stores.calculated.putSeeds(ws, [{ id, mpid: MPID, state: made.state }]);
  };
  const seeded = async (id: number) => (await q.stores.calculated.users(ws, [MPID])).get(MPID)?.seeds.has(id) ?? false;
  const cutoff = (date: string) => definition({ seeding: { cutoff_date: date } });

  it('deletes an attribute (204) with its seeds; then it is a 404', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    await seed(id);
    expect(await seeded(id)).toBe(true);
    const res = await call('DELETE', `${BASE}/${id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await seeded(id)).toBe(false);
    expect((await call('GET', `${BASE}/${id}`)).statusCode).toBe(404);
    expect((await all()).some((a) => a.id === id)).toBe(false);
    const again = await call('DELETE', `${BASE}/${id}`);
    expect(again.statusCode).toBe(404);
    expect(again.headers['x-quanta-error-code']).toBe('QUANTA_CA_NOT_FOUND');
  });

  it('keeps seeds through changes they do not depend on', async () => {
    const name = uniqueName('Seeded');
    const id = await create({ name, draft_definition: cutoff(daysAgo(10)) });
    await seed(id);
    await call('PUT', `${BASE}/${id}`, { name, description: 'new words', draft_definition: cutoff(daysAgo(10)) });
    // The same instant written another way.
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: cutoff(`${daysAgo(10).slice(0, 10)}T00:00:00Z`) });
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: { ...cutoff(daysAgo(10)), conditions: [{ type: 'string', operator: 'exists', attribute_name: 'x' }] } });
    await call('POST', `${BASE}/${id}/activation`);
    expect(await seeded(id)).toBe(true);
    // A refused update changes nothing.
    await call('PUT', `${BASE}/${id}`, { name: uniqueName(), draft_definition: definition({ calculation_type: 'count' }) });
    expect(await seeded(id)).toBe(true);
  });

  it('forgets seeds when the name, the calculation type or the seeding cutoff date changes', async () => {
    const id = await create({ name: uniqueName('Seeded'), draft_definition: cutoff(daysAgo(10)) });
    await seed(id);
    const renamed = uniqueName('Seeded');
    await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: cutoff(daysAgo(10)) });
    expect(await seeded(id)).toBe(false);

    await seed(id);
    await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: { ...cutoff(daysAgo(10)), calculation_type: 'max' } });
    expect(await seeded(id)).toBe(false);

    await seed(id);
    await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: { ...cutoff(daysAgo(9)), calculation_type: 'max' } });
    expect(await seeded(id)).toBe(false);

    await seed(id);
    await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: { ...definition(), calculation_type: 'max' } });
    expect(await seeded(id)).toBe(false);
  });

  it('forgets seeds when discarding a draft leaves a definition they do not match', async () => {
    const name = uniqueName('Seeded');
    const id = await create({ name, draft_definition: cutoff(daysAgo(10)) });
    await call('POST', `${BASE}/${id}/activation`);
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: { ...cutoff(daysAgo(10)), calculation_type: 'count' } });
    await seed(id); // seeds of the draft (count)
    await call('DELETE', `${BASE}/${id}/draft`); // back to the active sum
    expect(await seeded(id)).toBe(false);
  });
});

describe("Calculated Attributes API: another workspace's attributes", () => {
  it('never shows them: 404 for their ids, absent from lists, names free to reuse', async () => {
    const name = uniqueName('Elsewhere');
    const theirs = await q.stores.calculated.create(OTHER_WS, {
      name,
      description: null,
      created_on: new Date().toISOString(),
      created_by: 'client_id:other',
      last_modified_on: null,
      last_modified_by: null,
      draft_definition: (await q.stores.calculated.get(workspaceId(1), await create({ name: uniqueName(), draft_definition: definition() })))!.draft_definition,
      active_definition: null,
      activated_on: null,
      activated_by: null,
      revision: 0,
    });
    if (theirs === 'name-taken') throw new Error('name taken');
    const id = theirs.id;
    for (const [method, path, payload] of [
      ['GET', '', undefined],
      ['PUT', '', { name: 'stolen', draft_definition: definition() }],
      ['DELETE', '', undefined],
      ['POST', '/activation', undefined],
      ['GET', '/activation', undefined],
      ['DELETE', '/draft', undefined],
      ['GET', '/calculation', undefined],
    ] as const) {
      const res = await call(method, `${BASE}/${id}${path}`, payload);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(messages(res)).toEqual([`Calculated attribute ${id} was not found in workspace 1.`]);
    }
    expect(await q.stores.calculated.get(OTHER_WS, id)).toEqual(theirs);
    expect((await all()).some((a) => a.id === id)).toBe(false);
    expect((await call('GET', `${BASE}?name=${encodeURIComponent(name)}`)).json()).toEqual([]);
    expect((await call('HEAD', `${BASE}?name=${encodeURIComponent(name)}`)).statusCode).toBe(404);
    // Names are unique per workspace only.
    await create({ name, draft_definition: definition() });
    // The workspace's own routes show it.
    const listed = (await call('GET', base(OTHER_WS))).json() as Json[];
    expect(listed.map((a) => a.id)).toEqual([id]);
  });

  it("refuses another organisation's workspace (403)", async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await call(method, base(FOREIGN_WS), method === 'POST' ? { name: 'x', draft_definition: definition() } : undefined);
      expect(res.statusCode).toBe(403);
    }
    expect(await q.stores.calculated.list(FOREIGN_WS)).toEqual([]);
  });
});

describe('Calculated Attributes API: OpenAPI', () => {
  it('documents every route with a summary and an example', async () => {
    const doc = (await q.app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, Json>> };
    const expected = [
      ['get', ''],
      ['head', ''],
      ['post', ''],
      ['get', '/{id}'],
      ['put', '/{id}'],
      ['delete', '/{id}'],
      ['post', '/{id}/activation'],
      ['get', '/{id}/activation'],
      ['delete', '/{id}/draft'],
      ['get', '/{id}/calculation'],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[`/platform/v2/workspaces/{workspaceId}/calculatedattributes${path}`]?.[method!];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(typeof op!.summary).toBe('string');
      expect(JSON.stringify(op)).toMatch(/"example"/);
    }
  });
});
