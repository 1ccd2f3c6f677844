import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerAuth, CLIENT_ID, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Mpid, parseMpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

const BY = `client_id:${CLIENT_ID}`;
/** Of the caller's organisation, in another account. */
const OTHER_WS = workspaceId(2);
/** Of another organisation. */
const FOREIGN_WS = workspaceId(77);
/** Of the caller's account, beside its default workspace. */
const SIBLING_WS = workspaceId(3);
const base = (ws: number = 1) => `/platform/v2/workspaces/${ws}/audiences`;
const BASE = base();

const gold = { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } };
const buyers = {
  event: {
    event_type: 'commerce_event',
    event_name: null,
    custom_event_type: null,
    product_action: 'purchase',
    attributes: [{ name: 'category', operator: 'equals', value: 'shoes' }],
    count: { operator: 'at_least', value: 2 },
    within: { value: 30, unit: 'days' },
    after: '2025-01-01',
  },
};

let q: Quanta;
let bearer: string;
/** `auth` null sends no Authorization header. */
const call = (method: Method, url: string, payload?: unknown, auth: string | null = bearer) =>
  q.app.inject({
    method,
    url,
    headers: { ...(auth !== null ? { authorization: auth } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });
const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);
let names = 0;
const uniqueName = (prefix = 'Audience') => `${prefix} ${++names}`;

/** Creates an audience through the API; answers it. */
async function create(body: Json, ws = 1): Promise<Json & { id: number }> {
  const res = await call('POST', base(ws), body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Json & { id: number };
}
const namesIn = async (ws = 1) => ((await call('GET', base(ws))).json() as Json[]).map((a) => a.name);

/** Asserts a 400 refusal with exactly these messages, and that nothing was stored. */
async function refused(method: 'POST' | 'PUT', url: string, body: unknown, expected: string[]) {
  const before = (await call('GET', BASE)).json();
  const res = await call(method, url, body);
  expect(res.statusCode, res.body).toBe(400);
  expect(res.headers['x-quanta-error-code']).toBe('QUANTA_AUDIENCE_INVALID');
  expect(res.json()).toEqual({ errors: expected.map((message) => ({ code: 'BAD_REQUEST', message })) });
  expect((await call('GET', BASE)).json()).toEqual(before);
}

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  q.stores.platform.saveTenant({ orgId: 1, accountId: 2, workspaceId: OTHER_WS });
  q.stores.platform.saveTenant({ orgId: 99, accountId: 99, workspaceId: FOREIGN_WS });
  q.stores.platform.saveTenant({ orgId: 1, accountId: 1, workspaceId: SIBLING_WS });
  bearer = await bearerAuth(q);
});
afterAll(async () => {
  await q.close();
});

describe('Audiences API: create, read, list', () => {
  it('creates an inactive real-time audience (201) and reads it back with every field', async () => {
    const res = await call('POST', BASE, { name: 'Gold buyers', description: 'Gold members buying shoes', definition: { and: [gold, buyers] } });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const created = res.json() as Json & { id: number };
    expect(created).toEqual({
      id: expect.any(Number),
      name: 'Gold buyers',
      description: 'Gold members buying shoes',
      kind: 'realtime',
      definition: { and: [gold, buyers] },
      created_on: expect.any(String),
      created_by: BY,
      last_modified_on: null,
      last_modified_by: null,
      is_active: false,
      activated_on: null,
    });
    expect(Number.isInteger(created.id)).toBe(true);
    expect(Date.parse(created.created_on as string)).toBeGreaterThan(Date.now() - 60_000);

    const got = await call('GET', `${BASE}/${created.id}`);
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(created);
    expect(((await call('GET', BASE)).json() as Json[]).find((a) => a.id === created.id)).toEqual(created);
  });

  it('answers definitions in the form they are sent: defaults filled, windows and dates as written', async () => {
    const a = await create({
      name: uniqueName(),
      kind: 'standard',
      definition: {
        or: [
          { event: { event_type: 'custom_event', event_name: 'Play', within: { value: 48, unit: 'hours' }, before: '2026-03-01T12:30:00.000Z' } },
          { first_seen: { within: { value: 90, unit: 'minutes' }, after: '2025-06-01T00:00:00Z' } },
          { not: { identity: { type: 'email', operator: 'exists' } } },
          { device: { field: 'platform', operator: 'equals', value: 'iOS' } },
          { consent: { regulation: 'ccpa', consented: false } },
          { calculated_attribute: { name: 'Lifetime Spend', operator: 'greater_than', value: 500 } },
        ],
      },
    });
    expect(a.kind).toBe('standard');
    expect(a.description).toBeNull();
    expect(a.definition).toEqual({
      or: [
        {
          event: {
            event_type: 'custom_event',
            event_name: 'Play',
            custom_event_type: null,
            product_action: null,
            attributes: [],
            count: { operator: 'at_least', value: 1 },
            within: { value: 2, unit: 'days' },
            before: '2026-03-01T12:30:00.000Z',
          },
        },
        { first_seen: { within: { value: 90, unit: 'minutes' }, after: '2025-06-01' } },
        { not: { identity: { type: 'email', operator: 'exists', value: null } } },
        { device: { field: 'platform', operator: 'equals', value: 'iOS' } },
        { consent: { regulation: 'ccpa', consented: false } },
        { calculated_attribute: { name: 'Lifetime Spend', operator: 'greater_than', value: 500 } },
      ],
    });
    // What is read can be sent back unchanged.
    const put = await call('PUT', `${BASE}/${a.id}`, { name: a.name, kind: a.kind, definition: a.definition });
    expect(put.statusCode, put.body).toBe(200);
    expect((put.json() as Json).definition).toEqual(a.definition);
  });

  it('filters the list by name, whatever its case', async () => {
    const name = uniqueName('Filter Me');
    const a = await create({ name, definition: gold });
    const listed = await call('GET', `${BASE}?name=${encodeURIComponent(name.toUpperCase())}`);
    expect(listed.statusCode).toBe(200);
    expect((listed.json() as Json[]).map((x) => x.id)).toEqual([a.id]);
    expect((await call('GET', `${BASE}?name=nobody`)).json()).toEqual([]);
    expect((await call('GET', BASE)).json()).toContainEqual(a);
  });
});

describe('Audiences API: update and delete', () => {
  it('PUT replaces every field (a description left out is cleared) and records who changed it', async () => {
    const a = await create({ name: uniqueName(), description: 'first', definition: gold });
    const res = await call('PUT', `${BASE}/${a.id}`, { name: `${a.name} renamed`, definition: { and: [gold, buyers] } });
    expect(res.statusCode, res.body).toBe(200);
    const updated = res.json() as Json;
    expect(updated).toEqual({
      ...a,
      name: `${a.name} renamed`,
      description: null,
      definition: { and: [gold, buyers] },
      last_modified_on: expect.any(String),
      last_modified_by: BY,
    });
    expect((await call('GET', `${BASE}/${a.id}`)).json()).toEqual(updated);
    // Its own name in another case is no clash.
    const recased = await call('PUT', `${BASE}/${a.id}`, { name: `${a.name} RENAMED`, definition: gold });
    expect(recased.statusCode, recased.body).toBe(200);
  });

  it('DELETE answers 204, then the audience is gone (404)', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    const res = await call('DELETE', `${BASE}/${a.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const gone = await call('GET', `${BASE}/${a.id}`);
    expect(gone.statusCode).toBe(404);
    expect(messages(gone)).toEqual([`Audience ${a.id} was not found in workspace 1.`]);
    expect((await call('DELETE', `${BASE}/${a.id}`)).statusCode).toBe(404);
    expect(await namesIn()).not.toContain(a.name);
    // The name is free again.
    await create({ name: a.name as string, definition: gold });
  });

  it('refuses to delete an audience another one names (409, naming them), until they no longer do', async () => {
    const named = await create({ name: uniqueName(), definition: gold });
    const first = await create({ name: uniqueName(), definition: { audience: { id: named.id } } });
    const second = await create({ name: uniqueName(), definition: { not: { audience: { id: named.id, member: true } } } });
    const res = await call('DELETE', `${BASE}/${named.id}`);
    expect(res.statusCode).toBe(409);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_AUDIENCE_IN_USE');
    expect(res.json()).toEqual({
      errors: [
        {
          code: 'CONFLICT',
          message: `Audience ${named.id} is named in the definition of audiences ${first.id}, ${second.id} of workspace 1; change or delete them first.`,
        },
      ],
    });
    expect((await call('GET', `${BASE}/${named.id}`)).statusCode).toBe(200);
    expect((await call('DELETE', `${BASE}/${first.id}`)).statusCode).toBe(204);
    expect((await call('PUT', `${BASE}/${second.id}`, { name: second.name, definition: gold })).statusCode).toBe(200);
    expect((await call('DELETE', `${BASE}/${named.id}`)).statusCode).toBe(204);
  });
});

describe('Audiences API: validation', () => {
  const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');
  const KINDS = list(['and', 'or', 'not', 'event', 'user_attribute', 'calculated_attribute', 'identity', 'audience', 'consent', 'first_seen', 'device']);

  it('requires a name, no longer than 100 characters, unique whatever its case', async () => {
    await refused('POST', BASE, { definition: gold }, ["Field 'name' is required."]);
    await refused('POST', BASE, { name: '  ', definition: gold }, ["Field 'name' is required."]);
    await refused('POST', BASE, { name: 42, definition: gold }, ["Field 'name' must be a string."]);
    await refused('POST', BASE, { name: 'x'.repeat(101), definition: gold }, ["Field 'name' must be at most 100 characters."]);
    await create({ name: 'y'.repeat(100), definition: gold });
    const taken = await create({ name: uniqueName('Taken'), definition: gold });
    await refused('POST', BASE, { name: (taken.name as string).toUpperCase(), definition: gold }, ["Field 'name' must be unique."]);
    const other = await create({ name: uniqueName(), definition: gold });
    await refused('PUT', `${BASE}/${other.id}`, { name: taken.name, definition: gold }, ["Field 'name' must be unique."]);
  });

  it('refuses bodies that are not objects, a missing definition, bad descriptions and kinds', async () => {
    await refused('POST', BASE, ['not', 'an', 'object'], ['The request body must be a JSON object.']);
    await refused('POST', BASE, { name: uniqueName() }, ["Field 'definition' is required."]);
    await refused('POST', BASE, { name: uniqueName(), description: 7, kind: 'batch', definition: gold }, [
      "Field 'description' must be a string.",
      `Field 'kind' must be one of "realtime", "standard".`,
    ]);
  });

  it('names each problem of a definition by its path, all at once with the fields', async () => {
    await refused('POST', BASE, { name: uniqueName(), definition: { and: [gold, { bogus: {} }] } }, [
      `definition.and[1]: unknown node kind "bogus"; expected exactly one of ${KINDS}.`,
    ]);
    await refused('POST', BASE, { definition: { user_attribute: { name: 'tier', operator: 'is', value: 'gold' } } }, [
      "Field 'name' is required.",
      `definition.user_attribute.operator: must be one of ${list(['equals', 'not_equals', 'contains', 'not_contains', 'pattern', 'exists', 'not_exists', 'greater_than', 'less_than', 'between', 'includes', 'not_includes', 'partial_match', 'before', 'after', 'on'])}.`,
    ]);
    const between = '"between" needs [low, high]: two numbers or two dates, the low one first.';
    await refused(
      'POST',
      BASE,
      {
        name: uniqueName(),
        definition: {
          or: [
            { user_attribute: { name: 'age', operator: 'between', value: [40, 18] } },
            { user_attribute: { name: 'age', operator: 'between', value: 18 } },
            { event: { event_type: 'custom_event', within: { value: 0, unit: 'days' } } },
            { event: { event_type: 'custom_event', within: { value: 3, unit: 'weeks' } } },
          ],
        },
      },
      [
        `definition.or[0].user_attribute.value: ${between}`,
        `definition.or[1].user_attribute.value: ${between}`,
        'definition.or[2].event.within: must be {"value": <whole number above 0>, "unit": "seconds", "minutes", "hours", "days"}.',
        'definition.or[3].event.within: must be {"value": <whole number above 0>, "unit": "seconds", "minutes", "hours", "days"}.',
      ],
    );
    await refused('POST', BASE, { name: uniqueName(), definition: { event: { event_type: 'custom_event', within: { value: 3651, unit: 'days' } } } }, [
      'definition.event.within: at most 3650 days.',
    ]);
  });

  it('allows at most 100 conditions', async () => {
    const conditions = (n: number) => Array.from({ length: n }, (_, i) => ({ user_attribute: { name: `a${i}`, operator: 'exists' } }));
    await refused('POST', BASE, { name: uniqueName(), definition: { or: conditions(101) } }, ['definition: 101 conditions; an audience may have at most 100.']);
    await create({ name: uniqueName(), definition: { or: conditions(100) } });
  });

  it('refuses audience nodes naming an audience not in this workspace', async () => {
    await refused('POST', BASE, { name: uniqueName(), definition: { audience: { id: 999_999 } } }, ['definition: audience 999999 does not exist in this workspace.']);
    const theirs = await create({ name: uniqueName(), definition: gold }, OTHER_WS);
    await refused('POST', BASE, { name: uniqueName(), definition: { audience: { id: theirs.id } } }, [`definition: audience ${theirs.id} does not exist in this workspace.`]);
  });

  it('refuses, on PUT, a definition naming the audience itself or leading back to it (a cycle)', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    const b = await create({ name: uniqueName(), definition: { audience: { id: a.id } } });
    const c = await create({ name: uniqueName(), definition: { and: [gold, { audience: { id: b.id, member: false } }] } });
    await refused('PUT', `${BASE}/${a.id}`, { name: a.name, definition: { audience: { id: c.id } } }, [
      `definition: audience ${c.id} names audience ${a.id}, directly or through others: a cycle.`,
    ]);
    await refused('PUT', `${BASE}/${a.id}`, { name: a.name, definition: { or: [gold, { audience: { id: a.id } }] } }, [`definition: audience ${a.id} cannot name itself.`]);
    expect(((await call('GET', `${BASE}/${a.id}`)).json() as Json).definition).toEqual(gold);
  });

  it('refuses a change of kind on PUT (repeating it is fine)', async () => {
    const a = await create({ name: uniqueName(), kind: 'standard', definition: gold });
    await refused('PUT', `${BASE}/${a.id}`, { name: a.name, kind: 'realtime', definition: gold }, [
      "Field 'kind' cannot be changed: create an audience of the other kind instead.",
    ]);
    const same = await call('PUT', `${BASE}/${a.id}`, { name: a.name, kind: 'standard', definition: gold });
    expect(same.statusCode, same.body).toBe(200);
    expect((same.json() as Json).kind).toBe('standard');
    const omitted = await call('PUT', `${BASE}/${a.id}`, { name: a.name, definition: gold });
    expect((omitted.json() as Json).kind).toBe('standard');
  });

  it('refuses malformed ids in the path (400)', async () => {
    for (const id of ['abc', '0', '1.5']) {
      const res = await call('GET', `${BASE}/${id}`);
      expect(res.statusCode, id).toBe(400);
    }
  });
});

describe('Audiences API: activation', () => {
  it('starts a revision and its calculation; re-activation starts another', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    const before = await call('GET', `${BASE}/${a.id}/activation`);
    expect(before.statusCode).toBe(200);
    expect(before.json()).toEqual({ id: a.id, is_active: false, revision: 0, calculation: null });

    const startedAfter = Date.now();
    const res = await call('POST', `${BASE}/${a.id}/activation`);
    expect(res.statusCode, res.body).toBe(200);
    const status = res.json() as { calculation: { started_at: string } };
    expect(status).toEqual({
      id: a.id,
      is_active: true,
      revision: 1,
      calculation: { status: 'calculating', users_done: 0, users_total: null, started_at: expect.any(String), completed_at: null },
    });
    expect(Date.parse(status.calculation.started_at)).toBeGreaterThanOrEqual(startedAfter - 1000);
    expect((await call('GET', `${BASE}/${a.id}/activation`)).json()).toEqual(status);
    const read = (await call('GET', `${BASE}/${a.id}`)).json() as Json;
    expect(read).toMatchObject({ is_active: true, activated_on: expect.any(String), last_modified_on: null, last_modified_by: null });
    expect((await q.stores.audiences.active()).map((x) => x.id)).toContain(a.id);

    const again = await call('POST', `${BASE}/${a.id}/activation`);
    expect(again.json()).toMatchObject({ is_active: true, revision: 2, calculation: { status: 'calculating', users_done: 0 } });
  });

  it('starts an active audience again when its definition changes, not when only its name does', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    await call('POST', `${BASE}/${a.id}/activation`);
    const renamed = await call('PUT', `${BASE}/${a.id}`, { name: `${a.name} renamed`, definition: gold });
    expect(renamed.statusCode).toBe(200);
    expect((await call('GET', `${BASE}/${a.id}/activation`)).json()).toMatchObject({ revision: 1 });
    await call('PUT', `${BASE}/${a.id}`, { name: `${a.name} renamed`, definition: buyers });
    const status = (await call('GET', `${BASE}/${a.id}/activation`)).json();
    expect(status).toMatchObject({ is_active: true, revision: 2, calculation: { status: 'calculating', users_done: 0, users_total: null } });
    // An inactive audience has no revision to restart.
    const b = await create({ name: uniqueName(), definition: gold });
    await call('PUT', `${BASE}/${b.id}`, { name: b.name, definition: buyers });
    expect((await call('GET', `${BASE}/${b.id}/activation`)).json()).toEqual({ id: b.id, is_active: false, revision: 0, calculation: null });
  });

  it('activates a standard audience as a calculation of its query: started now, a new revision each time', async () => {
    const a = await create({ name: uniqueName(), kind: 'standard', date_range: { start: '2025-01-01', end: '2025-12-31' }, definition: gold });
    expect(a.date_range).toEqual({ start: '2025-01-01', end: '2025-12-31' });
    const res = await call('POST', `${BASE}/${a.id}/activation`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: a.id, is_active: true, revision: 1, calculation: { status: 'calculating', progress_percent: 0 } });
    const again = await call('POST', `${BASE}/${a.id}/activation`);
    expect(again.json()).toMatchObject({ revision: 2 });
  });

  it('shows the calculation the processor records for the current revision', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    await call('POST', `${BASE}/${a.id}/activation`);
    // Written once the processor's own calculation is done, so that it never overwrites this one.
    await expect.poll(async () => ((await call('GET', `${BASE}/${a.id}/activation`)).json() as { calculation: Json }).calculation.status, { timeout: 15_000 }).toBe('calculated');
    const ws = workspaceId(1);
    const started = Date.UTC(2026, 0, 6, 8, 5);
    await q.stores.audiences.putCalculation({ workspaceId: ws, id: a.id, revision: 1, status: 'calculated', handover: { 0: 5 }, phase: 'users', cursor: null, usersDone: 40, usersTotal: 40, startedAtMs: started, completedAtMs: started + 60_000 });
    expect((await call('GET', `${BASE}/${a.id}/activation`)).json()).toEqual({
      id: a.id,
      is_active: true,
      revision: 1,
      calculation: { status: 'calculated', users_done: 40, users_total: 40, started_at: '2026-01-06T08:05:00.000Z', completed_at: '2026-01-06T08:06:00.000Z' },
    });
  });
});

describe('Audiences API: members and size', () => {
  it('answers an empty audience: no members, size 0', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    const members = await call('GET', `${BASE}/${a.id}/members`);
    expect(members.statusCode).toBe(200);
    expect(members.json()).toEqual({ audience_id: a.id, members: [], next_after: null });
    const size = await call('GET', `${BASE}/${a.id}/size`);
    expect(size.statusCode).toBe(200);
    expect(size.json()).toEqual({ audience_id: a.id, size: 0 });
  });

  it('pages the members in MPID order, next_after leading to the next page', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    const ws = workspaceId(1);
    const at = Date.UTC(2026, 0, 6);
    const mpids = ['9223372036854775807', '-9223372036854775808', '10', '2'].map((m) => parseMpid(m) as Mpid);
    await q.stores.audiences.record({
      users: [],
      changes: mpids.map((mpid, i) => ({ workspaceId: ws, audienceId: a.id, mpid, change: 'added' as const, atMs: at + i })),
      offsets: new Map(),
    });
    const first = await call('GET', `${BASE}/${a.id}/members?limit=2`);
    expect(first.json()).toEqual({
      audience_id: a.id,
      members: [
        { mpid: '-9223372036854775808', added_at: new Date(at + 1).toISOString() },
        { mpid: '2', added_at: new Date(at + 3).toISOString() },
      ],
      next_after: '2',
    });
    const second = (await call('GET', `${BASE}/${a.id}/members?limit=2&after=2`)).json() as { members: Json[]; next_after: string };
    expect(second.members.map((m) => m.mpid)).toEqual(['10', '9223372036854775807']);
    expect(second.next_after).toBe('9223372036854775807');
    expect((await call('GET', `${BASE}/${a.id}/members?limit=2&after=${second.next_after}`)).json()).toEqual({ audience_id: a.id, members: [], next_after: null });
    expect(((await call('GET', `${BASE}/${a.id}/members`)).json() as { next_after: unknown }).next_after).toBeNull();
    expect((await call('GET', `${BASE}/${a.id}/size`)).json()).toEqual({ audience_id: a.id, size: 4 });
  });

  it('refuses a malformed after (400 naming it) and a limit out of 1..1000', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    for (const after of ['abc', '0', '9223372036854775808', '1.5']) {
      const res = await call('GET', `${BASE}/${a.id}/members?after=${after}`);
      expect(res.statusCode, after).toBe(400);
      expect(res.headers['x-quanta-error-code']).toBe('QUANTA_AUDIENCE_AFTER_INVALID');
      expect(messages(res)).toEqual([`Query parameter after must be an MPID (a signed 64-bit integer, not 0), as next_after gives it; not "${after}".`]);
    }
    for (const limit of ['0', '1001', 'ten']) {
      expect((await call('GET', `${BASE}/${a.id}/members?limit=${limit}`)).statusCode, limit).toBe(400);
    }
    expect((await call('GET', `${BASE}/${a.id}/members?limit=1000`)).statusCode).toBe(200);
    expect((await call('GET', `${BASE}/999999/members`)).statusCode).toBe(404);
    expect((await call('GET', `${BASE}/999999/size`)).statusCode).toBe(404);
  });
});

describe('Audiences API: callers and workspaces', () => {
  const routes = (id: number) =>
    [
      ['GET', BASE, undefined],
      ['POST', BASE, { name: 'x', definition: gold }],
      ['GET', `${BASE}/${id}`, undefined],
      ['PUT', `${BASE}/${id}`, { name: 'x', definition: gold }],
      ['DELETE', `${BASE}/${id}`, undefined],
      ['POST', `${BASE}/${id}/activation`, undefined],
      ['GET', `${BASE}/${id}/activation`, undefined],
      ['GET', `${BASE}/${id}/members`, undefined],
      ['GET', `${BASE}/${id}/size`, undefined],
    ] as const;

  it('answers 401 without a valid Bearer token, before any other check', async () => {
    const a = await create({ name: uniqueName(), definition: gold });
    for (const [method, url, payload] of [...routes(a.id), ['GET', `${BASE}/abc`, undefined] as const]) {
      for (const auth of [null, 'Bearer not-a-token']) {
        const res = await call(method, url, payload, auth);
        expect(res.statusCode, `${method} ${url} ${auth}`).toBe(401);
      }
    }
    expect((await call('GET', `${BASE}/${a.id}`)).json()).toEqual(a);
  });

  it("never shows another workspace's audiences: 404 for their ids, absent from lists, names free", async () => {
    const name = uniqueName('Elsewhere');
    const theirs = await create({ name, definition: gold }, OTHER_WS);
    for (const [method, url, payload] of routes(theirs.id).filter(([, url]) => url !== BASE)) {
      const res = await call(method, url, payload);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(messages(res)).toEqual([`Audience ${theirs.id} was not found in workspace 1.`]);
    }
    expect((await call('GET', `${base(OTHER_WS)}/${theirs.id}`)).json()).toEqual(theirs);
    expect(await namesIn()).not.toContain(name);
    expect((await call('GET', `${BASE}?name=${encodeURIComponent(name)}`)).json()).toEqual([]);
    await create({ name, definition: gold });
    expect(await namesIn()).toContain(name);
    expect((await namesIn(OTHER_WS)).filter((n) => n === name)).toEqual([name]);
  });

  it("refuses another organisation's workspace (403)", async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await call(method, base(FOREIGN_WS), method === 'POST' ? { name: 'x', definition: gold } : undefined);
      expect(res.statusCode).toBe(403);
    }
    expect(await q.stores.audiences.list(FOREIGN_WS)).toEqual([]);
  });
});

describe('Platform API v1: audiences', () => {
  it('lists the account\'s and a workspace\'s audiences in the v1 envelope', async () => {
    const plain = await create({ name: uniqueName('V1'), definition: gold });
    const combined = await create({ name: uniqueName('V1'), definition: { and: [gold, buyers] } });
    await call('POST', `${BASE}/${combined.id}/activation`);
    const res = await call('GET', '/v1/audiences?accountId=1');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { data: Json[]; dataType: string; errors: unknown[] };
    expect(body.dataType).toBe('audience');
    expect(body.errors).toEqual([]);
    expect(body.data.find((a) => a.id === plain.id)).toEqual({
      id: plain.id,
      name: plain.name,
      external_name: plain.name,
      size: 0,
      created_by: BY,
      last_modified_by: null,
      last_modified_on: null,
      is_calculated: false,
      status: 'draft',
      workspaces: [{ id: 1, data_type: 'workspace' }],
      connected_outputs: [],
      data_type: 'audience',
    });
    expect(body.data.find((a) => a.id === combined.id)).toMatchObject({ is_calculated: true, status: 'active' });
    expect(body.data.map((a) => a.id)).toEqual(((await call('GET', BASE)).json() as Json[]).map((a) => a.id));

    const byWorkspace = await call('GET', '/v1/workspace/1/audiences?accountId=1');
    expect(byWorkspace.statusCode).toBe(200);
    expect(byWorkspace.json()).toEqual(body);
    // The account's list holds each of its workspaces' audiences; a workspace's, its own.
    const sibling = await create({ name: uniqueName('V1'), definition: gold }, SIBLING_WS);
    const account = (await call('GET', '/v1/audiences?accountId=1')).json() as { data: Json[] };
    expect(account.data.find((a) => a.id === sibling.id)).toMatchObject({ workspaces: [{ id: SIBLING_WS, data_type: 'workspace' }] });
    expect(account.data.map((a) => a.id)).toEqual([...body.data.map((a) => a.id), sibling.id]);
    expect(((await call('GET', '/v1/workspace/1/audiences?accountId=1')).json() as { data: Json[] }).data.map((a) => a.id)).not.toContain(sibling.id);
    const theirs = await create({ name: uniqueName('V1'), definition: gold }, OTHER_WS);
    const other = (await call('GET', '/v1/workspace/2/audiences?accountId=2')).json() as { data: Json[] };
    expect(other.data.map((a) => a.id)).toContain(theirs.id);
    expect(other.data.map((a) => a.id)).not.toContain(plain.id);
  });

  it('checks accountId: 401 without it, 400 malformed, 403 when not the workspace\'s account', async () => {
    const missing = await call('GET', '/v1/audiences');
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['x-quanta-error-code']).toBe('QUANTA_PLATFORM_ACCOUNT_MISSING');
    expect((await call('GET', '/v1/audiences?accountId=abc')).statusCode).toBe(400);
    const wrong = await call('GET', '/v1/audiences?accountId=99');
    expect(wrong.statusCode).toBe(403);
    expect(messages(wrong)).toEqual(["Account 99 does not exist or is outside these credentials' scope."]);
    expect((await call('GET', '/v1/workspace/2/audiences?accountId=1')).statusCode).toBe(403);
    expect((await call('GET', '/v1/workspace/77/audiences?accountId=99')).statusCode).toBe(403);
    expect((await call('DELETE', '/v1/audiences/1?accountId=99')).statusCode).toBe(403);
    for (const [method, url] of [['GET', '/v1/audiences?accountId=1'], ['GET', '/v1/workspace/1/audiences?accountId=1'], ['DELETE', '/v1/audiences/1?accountId=1']] as const) {
      expect((await call(method, url, undefined, null)).statusCode, url).toBe(401);
    }
  });

  it('deletes an audience (202), with the v2 rules: 404 unknown, 409 while named', async () => {
    const a = await create({ name: uniqueName('V1'), definition: gold });
    const namer = await create({ name: uniqueName('V1'), definition: { audience: { id: a.id } } });
    expect((await call('DELETE', `/v1/audiences/${a.id}?accountId=1`)).statusCode).toBe(409);
    const res = await call('DELETE', `/v1/audiences/${namer.id}?accountId=1`);
    expect(res.statusCode).toBe(202);
    expect((await call('GET', `${BASE}/${namer.id}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/v1/audiences/${namer.id}?accountId=1`)).statusCode).toBe(404);
  });
});

describe('Audiences API: OpenAPI', () => {
  it('documents every route with a summary and examples, and every node kind of a definition', async () => {
    const doc = (await q.app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, Json>> };
    const v2 = '/platform/v2/workspaces/{workspaceId}/audiences';
    const expected = [
      ['get', v2],
      ['post', v2],
      ['get', `${v2}/{id}`],
      ['put', `${v2}/{id}`],
      ['delete', `${v2}/{id}`],
      ['post', `${v2}/{id}/activation`],
      ['get', `${v2}/{id}/activation`],
      ['get', `${v2}/{id}/members`],
      ['get', `${v2}/{id}/size`],
      ['get', '/v1/audiences'],
      ['get', '/v1/workspace/{workspaceId}/audiences'],
      ['delete', '/v1/audiences/{id}'],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[path!]?.[method!];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(typeof op!.summary).toBe('string');
      expect(JSON.stringify(op), `${method} ${path}`).toMatch(/"example/);
    }
    const create = JSON.stringify(doc.paths[v2]!.post!.requestBody);
    for (const kind of ['and', 'or', 'not', 'event', 'user_attribute', 'calculated_attribute', 'identity', 'audience', 'consent', 'first_seen', 'device']) {
      expect(create, kind).toContain(`"title":"${kind}"`);
    }
    for (const operator of ['between', 'partial_match', 'not_exists', 'at_least']) expect(create).toContain(`"${operator}"`);
    expect(create).toContain('"date_range"');
    expect(JSON.stringify(doc.paths[`${v2}/{id}/size`]!.get)).toContain('"estimate"');
  });
});
