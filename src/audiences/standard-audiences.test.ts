import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';

/**
 * One definition, two engines: every kind of criterion is an audience twice, a real-time one
 * (decided by the processor as the data arrives) and a standard one (one DuckDB query over the
 * event store, compiled from the same definition), over the same users; their members must agree.
 */

type Json = Record<string, unknown>;
const ws = workspaceId(1);
const BASE = '/platform/v2/workspaces/1/audiences';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.now();
const RECENT = NOW - HOUR;
const OLD = NOW - 10 * DAY;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let q: Quanta;
let bearer: string;
const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
  q.app.inject({
    method,
    url,
    headers: { authorization: bearer, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: JSON.stringify(payload) } : {}),
  });

const USERS = 36;
let seq = 0;

/** User `i`'s batches: a mix of attributes, identities, consent, device and events that differ from user to user. */
function batchesOf(i: number): Json[] {
  const at = i % 3 === 0 ? OLD : RECENT;
  const search = (query: string, amount: number | string, ts: number) => ({
    event_type: 'custom_event',
    data: { event_name: 'Search', custom_event_type: 'search', timestamp_unixtime_ms: ts, custom_attributes: i % 2 === 0 ? { query, amount } : { Query: query, amount } },
  });
  const commerce = (action: string, ts: number) => ({
    event_type: 'commerce_event',
    data: { timestamp_unixtime_ms: ts, product_action: { action, products: [{ id: 'p', name: 'Shoe', price: 10 }] } },
  });
  const events: Json[] = [];
  for (let n = 0; n < i % 4; n++) events.push(search(['shoes', 'Hats', 'bags'][(i + n) % 3]!, n === 0 ? 20 + i * 3 : String(i), at + n));
  if (i % 5 === 1 || i % 5 === 3) events.push(commerce('purchase', i % 5 === 1 ? RECENT : OLD));
  if (i % 4 === 1) events.push(commerce('add_to_cart', at));
  if (i % 6 === 2) events.push(commerce('add_to_cart', at), commerce('add_to_cart', at + 1));
  if (i % 3 !== 1) events.push({ event_type: 'screen_view', data: { screen_name: 'Home', timestamp_unixtime_ms: at } });
  const identities: Json = { customer_id: `c${i}`, ...(i % 3 !== 0 ? { email: `u${i}@${i % 2 ? 'Example' : 'mail'}.com` } : {}) };
  const first: Json = {
    user_identities: identities,
    user_attributes: {
      ...(i % 4 !== 3 ? { tier: ['gold', 'Gold', 'silver'][i % 4] } : {}),
      age: i % 5 === 0 ? String(20 + i) : 20 + i,
      tags: i % 2 === 0 ? ['shoes', 'bags'] : ['hats'],
      signup: `2025-0${1 + (i % 9)}-15`,
    },
    device_info: i % 2 === 0 ? { platform: 'iOS', brand: 'Apple', os_version: '17.1' } : { platform: 'Android', device_manufacturer: 'Samsung', os_version: `1${i % 4}` },
    ...(i % 3 !== 2
      ? {
          consent_state: {
            gdpr: { marketing: { consented: i % 2 === 0, document: 'v1', timestamp_unixtime_ms: at } },
            ...(i % 4 === 0 ? { ccpa: { data_sale_opt_out: { consented: true, timestamp_unixtime_ms: at } } } : {}),
          },
        }
      : {}),
    events: events.slice(0, 2),
  };
  // A second batch changes some facts: the latest value is the one both engines must see.
  const second: Json = {
    user_identities: identities,
    user_attributes: i % 7 === 0 ? { tier: 'platinum' } : {},
    ...(i % 8 === 0 ? { consent_state: { gdpr: { Marketing: { consented: false, timestamp_unixtime_ms: at } } } } : {}),
    events: events.slice(2),
  };
  return [first, second];
}

async function send(batch: Json): Promise<void> {
  const res = await q.app.inject({
    method: 'POST',
    url: '/v2/events',
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    payload: { environment: 'production', source_request_id: `std-${++seq}`, ...batch },
  });
  expect(res.statusCode, res.body).toBe(202);
}

/** Every kind of criterion the definition tree has, each operator at least once. */
const CRITERIA: Record<string, Json> = {
  'searched twice': { event: { event_type: 'custom_event', event_name: 'Search', count: { operator: 'at_least', value: 2 } } },
  'searched shoes (attribute named in another case)': {
    event: { event_type: 'custom_event', event_name: 'Search', attributes: [{ name: 'query', operator: 'contains', value: 'SHO' }] },
  },
  'search amount over 50': { event: { event_type: 'custom_event', custom_event_type: 'search', attributes: [{ name: 'amount', operator: 'greater_than', value: 50 }] } },
  'search pattern': { event: { event_type: 'custom_event', attributes: [{ name: 'query', operator: 'pattern', value: 'h?t*' }] } },
  'bought within 2 days': { event: { event_type: 'commerce_event', product_action: 'purchase', within: { value: 2, unit: 'days' } } },
  'never bought': { event: { event_type: 'commerce_event', product_action: 'purchase', count: { operator: 'at_most', value: 0 } } },
  'one add to cart exactly': { event: { event_type: 'commerce_event', product_action: 'add_to_cart', count: { operator: 'exactly', value: 1 } } },
  'home after 5 days ago': { event: { event_type: 'screen_view', event_name: 'Home', after: day(NOW - 5 * DAY) } },
  'home before 5 days ago': { event: { event_type: 'screen_view', event_name: 'Home', before: day(NOW - 5 * DAY) } },
  gold: { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } },
  'not gold': { user_attribute: { name: 'tier', operator: 'not_equals', value: 'gold' } },
  'tier pattern': { user_attribute: { name: 'Tier', operator: 'pattern', value: 'g*d' } },
  'no tier': { user_attribute: { name: 'tier', operator: 'not_exists' } },
  'age 25 to 35': { user_attribute: { name: 'age', operator: 'between', value: [25, 35] } },
  'age equals 40': { user_attribute: { name: 'age', operator: 'equals', value: 40 } },
  'age under 30': { user_attribute: { name: 'age', operator: 'less_than', value: 30 } },
  'tags include shoes': { user_attribute: { name: 'tags', operator: 'includes', value: 'SHOES' } },
  'tags exclude shoes': { user_attribute: { name: 'tags', operator: 'not_includes', value: 'shoes' } },
  'tags partially ha': { user_attribute: { name: 'tags', operator: 'partial_match', value: 'ha' } },
  'signed up before June': { user_attribute: { name: 'signup', operator: 'before', value: '2025-06-01' } },
  'signed up after June': { user_attribute: { name: 'signup', operator: 'after', value: '2025-06-01' } },
  'signed up on 15 March': { user_attribute: { name: 'signup', operator: 'on', value: '2025-03-15' } },
  'signed up in spring': { user_attribute: { name: 'signup', operator: 'between', value: ['2025-03-01', '2025-05-31'] } },
  'tier contains old': { user_attribute: { name: 'tier', operator: 'contains', value: 'OLD' } },
  'tier lacks old': { user_attribute: { name: 'tier', operator: 'not_contains', value: 'old' } },
  'email at example': { identity: { type: 'email', operator: 'contains', value: 'example' } },
  'no email': { identity: { type: 'email', operator: 'not_exists' } },
  'email pattern': { identity: { type: 'email', operator: 'pattern', value: 'u1*@*' } },
  'customer c4': { identity: { type: 'customer_id', operator: 'equals', value: 'C4' } },
  'marketing consent': { consent: { regulation: 'gdpr', purpose: 'marketing', consented: true } },
  'no marketing consent': { consent: { regulation: 'gdpr', purpose: 'marketing', consented: false } },
  'ccpa opted out': { consent: { regulation: 'ccpa', consented: true } },
  ios: { device: { field: 'platform', operator: 'equals', value: 'ios' } },
  'samsung brand': { device: { field: 'brand', operator: 'equals', value: 'samsung' } },
  'os version over 12': { device: { field: 'os_version', operator: 'greater_than', value: 12 } },
  'first seen within 5 days': { first_seen: { within: { value: 5, unit: 'days' } } },
  'first seen before 5 days ago': { first_seen: { before: day(NOW - 5 * DAY) } },
  'searches counted over 1': { calculated_attribute: { name: 'Search count', operator: 'greater_than', value: 1 } },
  'abandoned carts, not gold, or platinum': {
    or: [
      { and: [{ event: { event_type: 'commerce_event', product_action: 'add_to_cart' } }, { not: { event: { event_type: 'commerce_event', product_action: 'purchase' } } }, { not: { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } } }] },
      { user_attribute: { name: 'tier', operator: 'equals', value: 'platinum' } },
    ],
  },
};

async function createAudience(body: Json): Promise<number> {
  const res = await call('POST', BASE, body);
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { id: number }).id;
}
async function activate(id: number): Promise<void> {
  const res = await call('POST', `${BASE}/${id}/activation`);
  expect(res.statusCode, res.body).toBe(200);
}
const calculation = async (id: number) => ((await call('GET', `${BASE}/${id}/activation`)).json() as { calculation: Json | null }).calculation;
/** Waits (outside a test: `expect.poll` is not available) until the audience's calculation is done. */
async function calculated(id: number): Promise<void> {
  for (const started = Date.now(); (await calculation(id))?.status !== 'calculated'; await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - started > 30_000) throw new Error(`audience ${id} was not calculated within 30 s: ${JSON.stringify(await calculation(id))}`);
  }
}
async function membersOf(id: number): Promise<string[]> {
  const res = await call('GET', `${BASE}/${id}/members?limit=1000`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { members: { mpid: string }[] }).members.map((m) => m.mpid);
}

const realtime = new Map<string, number>();
const standard = new Map<string, number>();
let everyone: string[] = [];

beforeAll(async () => {
  q = await quantaApp({ QUANTA_AUDIENCE_WRITE_MS: '0', QUANTA_CA_WRITE_MS: '0', QUANTA_RATE_LIMIT: '0' });
  bearer = await bearerAuth(q);
  const ca = await call('POST', '/platform/v2/workspaces/1/calculatedattributes', {
    name: 'Search count',
    draft_definition: {
      recipe_type: 'event',
      datapoint: { type: 'event', event_name: 'Search', event_type: 'custom_event', custom_event_type: 'search', attribute_name: null },
      conditions: [],
      calculation_type: 'count',
      time_period: { type: 'since', date: `${day(NOW - 30 * DAY)}T00:00:00`, within: null, within_unit: null },
      seeding: null,
    },
  });
  expect(ca.statusCode, ca.body).toBe(200);
  expect((await call('POST', `/platform/v2/workspaces/1/calculatedattributes/${ca.json() as number}/activation`)).statusCode).toBe(204);
  // "audience" nodes name the real-time gold audience, in both engines.
  const gold = await createAudience({ name: 'gold (named)', definition: CRITERIA.gold });
  await activate(gold);
  CRITERIA['gold and searched'] = { and: [{ audience: { id: gold, member: true } }, { event: { event_type: 'custom_event', event_name: 'Search' } }] };
  CRITERIA['not in gold'] = { audience: { id: gold, member: false } };
  await calculated(gold);
  for (const [name, definition] of Object.entries(CRITERIA)) {
    const id = await createAudience({ name: `rt ${name}`, definition });
    await activate(id);
    realtime.set(name, id);
  }
  for (const id of realtime.values()) await calculated(id);
  for (let i = 0; i < USERS; i++) for (const batch of batchesOf(i)) await send(batch);
  await q.processor.caughtUp();
  for (const [name, definition] of Object.entries(CRITERIA)) {
    const id = await createAudience({ name: `std ${name}`, kind: 'standard', definition });
    standard.set(name, id);
  }
  for (const id of standard.values()) await activate(id);
  for (const id of standard.values()) await calculated(id);
  everyone = [...new Set(Array.from({ length: USERS }, (_, i) => q.use('graph').search(ws, { customer_id: `c${i}` })!.mpid as string))];
}, 120_000);

afterAll(async () => {
  await q?.close();
});

describe('standard audiences: the same members as real-time ones, criterion by criterion', () => {
  it.each(Object.keys(CRITERIA))('%s', async (name) => {
    const live = await membersOf(realtime.get(name)!);
    const history = await membersOf(standard.get(name)!);
    const who = (list: string[]) => list.map((m) => everyone.indexOf(m)).sort((a, b) => a - b);
    expect({ name, history: who(history) }).toEqual({ name, history: who(live) });
    // A criterion no user meets, or every user, would compare nothing.
    expect(live.length, `${name} selects some users, not all`).toBeGreaterThan(0);
    expect(live.length, `${name} selects some users, not all`).toBeLessThan(everyone.length);
  });
});
describe('standard audiences: date range, estimates, memberships, recalculation', () => {
  it('counts only the events of its date range (inclusive UTC days), as an "after" criterion does live', async () => {
    const since = day(NOW - 5 * DAY);
    const id = await createAudience({
      name: 'searched lately (standard)',
      kind: 'standard',
      date_range: { start: since, end: null },
      definition: { event: { event_type: 'custom_event', event_name: 'Search' } },
    });
    const live = await createAudience({ name: 'searched lately (live)', definition: { event: { event_type: 'custom_event', event_name: 'Search', after: since } } });
    await activate(live);
    await activate(id);
    await calculated(id);
    await calculated(live);
    expect((await call('GET', `${BASE}/${id}`)).json()).toMatchObject({ kind: 'standard', date_range: { start: since, end: null } });
    const members = await membersOf(id);
    expect(members).toEqual(await membersOf(live));
    expect(members.length).toBeGreaterThan(0);
    // An end before every event: nobody.
    const none = await createAudience({ name: 'searched long ago', kind: 'standard', date_range: { start: null, end: day(NOW - 20 * DAY) }, definition: { event: { event_type: 'custom_event', event_name: 'Search' } } });
    await activate(none);
    await calculated(none);
    expect(await membersOf(none)).toEqual([]);
  });

  it('shows its progress and users decided, and its size; estimates agree in a small workspace (every user decided)', async () => {
    const id = standard.get('gold')!;
    const c = await calculation(id);
    expect(c).toMatchObject({ status: 'calculated', progress_percent: 100, users_done: USERS, users_total: USERS });
    const size = (await call('GET', `${BASE}/${id}/size`)).json() as { size: number };
    expect(size.size).toBe((await membersOf(id)).length);
    const estimate = await call('GET', `${BASE}/${id}/size?estimate=true`);
    expect(estimate.statusCode, estimate.body).toBe(200);
    expect(estimate.json()).toEqual({ audience_id: id, size: size.size, estimate: true, sample_percent: 100, sampled_users: USERS, sampled_members: size.size, too_small: false });
    // A draft (never activated) is estimated from history too.
    const draft = await createAudience({ name: 'draft ios', definition: CRITERIA.ios });
    expect(((await call('GET', `${BASE}/${draft}/size?estimate=true`)).json() as { size: number }).size).toBe((await membersOf(realtime.get('ios')!)).length);
    expect((await call('GET', `${BASE}/${draft}/size`)).json()).toEqual({ audience_id: draft, size: 0 });
  });

  it("puts its members' memberships in the Profile API beside the real-time ones", async () => {
    const mpid = (await membersOf(standard.get('gold')!))[0]!;
    const profile = await q.use('profileApi').byMpid(ws, mpid as never, new Set(['audience_memberships']));
    const ids = (profile.audience_memberships as { audience_id: number }[]).map((m) => m.audience_id);
    expect(ids).toContain(standard.get('gold'));
    expect(ids).toContain(realtime.get('gold'));
  });

  it('calculates again on a new activation: a change for each user who joins or leaves, none for those who stay', async () => {
    const id = standard.get('samsung brand')!;
    const before = await membersOf(id);
    const seqBefore = (await q.stores.audiences.changesAfter(0, 100_000)).at(-1)!.seq;
    // c1 (an Android, Samsung user) now has an Apple phone; c2 (Apple) a Samsung one.
    await send({ user_identities: { customer_id: 'c1' }, device_info: { brand: 'Apple' }, events: [] });
    await send({ user_identities: { customer_id: 'c2' }, device_info: { brand: 'Samsung' }, events: [] });
    await q.processor.caughtUp();
    await activate(id);
    await calculated(id);
    const after = await membersOf(id);
    expect(after).toEqual([...before.filter((m) => m !== everyone[1]), everyone[2]!].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)));
    const changes = (await q.stores.audiences.changesAfter(seqBefore, 100_000)).filter((c) => c.audienceId === id);
    expect(changes.map((c) => [c.mpid, c.change])).toEqual([
      [everyone[1], 'removed'],
      [everyone[2], 'added'],
    ]);
    // The real-time twin moved with the data.
    expect(await membersOf(realtime.get('samsung brand')!)).toEqual(after);
  });

  it('refuses a date range on a real-time audience, and malformed or reversed ranges (400, nothing stored)', async () => {
    const bad = async (body: Json, message: string) => {
      const res = await call('POST', BASE, { name: `bad ${++seq}`, definition: CRITERIA.gold, ...body });
      expect(res.statusCode, res.body).toBe(400);
      expect((res.json() as { errors: { message: string }[] }).errors.map((e) => e.message)).toEqual([message]);
    };
    await bad({ date_range: { start: '2025-01-01', end: null } }, "Field 'date_range' applies to standard audiences only; a real-time audience's criteria take 'within', 'after' and 'before'.");
    await bad({ kind: 'standard', date_range: { start: '2025-02-30', end: null } }, "Field 'date_range' must be null or an object whose 'start' and 'end' are null or dates (YYYY-MM-DD, UTC, inclusive).");
    await bad({ kind: 'standard', date_range: '2025' }, "Field 'date_range' must be null or an object whose 'start' and 'end' are null or dates (YYYY-MM-DD, UTC, inclusive).");
    await bad({ kind: 'standard', date_range: { start: '2025-03-01', end: '2025-02-01' } }, "Field 'date_range': 'start' must not be after 'end'.");
  });
});
