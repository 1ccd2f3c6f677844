import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { killUnderLoad, makeDataDir, type QuantaProcess, removeDataDir, startQuanta } from '../helpers/quanta-process.ts';
import { readAudiences, readLog, readQuality, withEventStore } from '../helpers/stores.ts';

/**
 * Kill -9 under load: Quanta acknowledges a batch (202) only once it is durable in the log, and
 * the processor stores each logged event exactly once even when the process dies mid-flight.
 * Every batch names a data plan that blocks its third event, if it has one: the quarantine keeps
 * each such batch once and the violation report counts each blocked event once. A calculated
 * attribute counts each client's "Crash Test 0" events (one per batch, all kept): after the
 * restart each client's count equals its acknowledged batches. A real-time audience takes each
 * client once it has sent 5 batches: its membership change is recorded exactly once, neither lost
 * nor emitted twice (written only when Quanta stops, so all of it is counted again after the kill).
 */

const CLIENT_ID = 'crash-client';
const CLIENT_SECRET = 'crash-client-secret';
// Audiences written only at a stop: everything the audience decided before the kill is decided again from the log.
const ENV = { QUANTA_CLIENT_ID: CLIENT_ID, QUANTA_CLIENT_SECRET: CLIENT_SECRET, QUANTA_AUDIENCE_WRITE_MS: '600000' };
/** Plans "Crash Test 0" and "Crash Test 1"; "Crash Test 2" is unplanned and blocked. */
const PLAN = {
  data_plan_id: 'crash_plan',
  data_plan_name: 'Crash plan',
  data_plan_versions: [
    {
      version: 1,
      activated_environment: 'production',
      version_document: {
        data_points: [
          ...[0, 1].map((i) => ({ match: { type: 'custom_event', criteria: { event_name: `Crash Test ${i}`, custom_event_type: 'other' } }, validator: { type: 'json_schema', definition: {} } })),
          { match: { type: 'user_attributes' }, validator: { type: 'json_schema', definition: {} } },
          { match: { type: 'user_identities' }, validator: { type: 'json_schema', definition: {} } },
        ],
        settings: { validation_actions: { event: 'drop_event' } },
      },
    },
  ],
};
/** The events of a batch the plan lets through: the third is blocked. */
const kept = (events: number) => Math.min(events, 2);

async function bearer(quanta: QuantaProcess): Promise<string> {
  const token = await fetch(`${quanta.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials', audience: 'https://api.mparticle.com' }),
  });
  return `Bearer ${((await token.json()) as { access_token: string }).access_token}`;
}

/** Batches a client sends before the audience takes it. */
const AUDIENCE_BATCHES = 5;

/** The plan, the calculated attribute counting each user's "Crash Test 0" events and the audience of those with 5, activated. */
async function createPlanAndAttribute(quanta: QuantaProcess): Promise<void> {
  const authorization = await bearer(quanta);
  const headers = { authorization, 'content-type': 'application/json' };
  const res = await fetch(`${quanta.url}/platform/v2/workspaces/1/plans`, { method: 'POST', headers, body: JSON.stringify(PLAN) });
  expect(res.status, await res.text()).toBe(200);
  const url = `${quanta.url}/platform/v2/workspaces/1/calculatedattributes`;
  const created = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name: 'crash_tests',
      draft_definition: {
        recipe_type: 'event',
        calculation_type: 'count',
        datapoint: { type: 'event', event_type: 'custom_event', event_name: 'Crash Test 0', custom_event_type: 'other' },
        time_period: { type: 'within', within: 1, within_unit: 'days' },
      },
    }),
  });
  expect(created.status, await created.clone().text()).toBe(200);
  const activated = await fetch(`${url}/${Number(await created.json())}/activation`, { method: 'POST', headers: { authorization } });
  expect(activated.status, await activated.text()).toBe(204);
  const audiences = `${quanta.url}/platform/v2/workspaces/1/audiences`;
  const audience = await fetch(audiences, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name: 'Crash testers',
      definition: { event: { event_type: 'custom_event', event_name: 'Crash Test 0', count: { operator: 'at_least', value: AUDIENCE_BATCHES } } },
    }),
  });
  expect(audience.status, await audience.clone().text()).toBe(201);
  const audienceActivated = await fetch(`${audiences}/${((await audience.json()) as { id: number }).id}/activation`, { method: 'POST', headers: { authorization } });
  expect(audienceActivated.status, await audienceActivated.text()).toBe(200);
}

/** A user's calculated attributes through the Profile API. */
async function calculatedOf(quanta: QuantaProcess, authorization: string, mpid: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${quanta.url}/userprofile/v1/1/1/1/${mpid}?fields=user_attributes`, { headers: { authorization } });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { user_attributes: Record<string, unknown> }).user_attributes;
}

const CLIENTS = 8;
const MIN_LOAD_MS = 1_500;
/** Keep the load on past MIN_LOAD_MS until this many batches are acknowledged (slow machines). */
const MIN_ACKED = 40;
const MAX_LOAD_MS = 45_000;

interface SentBatch {
  srid: string;
  events: number;
  body: Record<string, unknown>;
}

interface SentRequest {
  path: '/v2/bulkevents' | '/v2/events';
  batches: SentBatch[];
}

const run = randomUUID().slice(0, 8);
let sequence = 0;
const rand = (n: number) => Math.floor(Math.random() * n);

function makeBatch(client: number): SentBatch {
  const n = ++sequence;
  const srid = `crash-${run}-${client}-${n}`;
  const events = 1 + rand(3);
  const now = Date.now();
  return {
    srid,
    events,
    body: {
      environment: 'production',
      source_request_id: srid,
      user_identities: { customer_id: `cust-${run}-${client}` },
      user_attributes: { client, n },
      context: { data_plan: { plan_id: 'crash_plan' } },
      events: Array.from({ length: events }, (_, i) => ({
        event_type: 'custom_event',
        data: {
          event_name: `Crash Test ${i}`,
          custom_event_type: 'other',
          custom_attributes: { client: String(client), n: String(n), i: String(i) },
          timestamp_unixtime_ms: now,
        },
      })),
    },
  };
}

async function send(quanta: QuantaProcess, request: SentRequest): Promise<Response> {
  const body = request.path === '/v2/events' ? request.batches[0]!.body : request.batches.map((b) => b.body);
  return fetch(`${quanta.url}${request.path}`, {
    method: 'POST',
    headers: { authorization: quanta.authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
}

describe('crash recovery: kill -9 under load', () => {
  let dataDir: string | undefined;
  const running: QuantaProcess[] = [];

  afterAll(async () => {
    for (const q of running) await q.kill('SIGKILL');
    removeDataDir(dataDir);
  });

  it('stores every acknowledged batch exactly once after a SIGKILL and a restart', { timeout: 120_000 }, async () => {
    dataDir = makeDataDir('quanta-crash-');

    // 1. Load: CLIENTS loops posting /v2/bulkevents; a batch is acknowledged iff its request got a 202.
    const first = await startQuanta({ dataDir, env: ENV });
    running.push(first);
    await createPlanAndAttribute(first);
    const acked: SentBatch[] = [];
    const unacknowledged: SentRequest[] = [];
    const unexpected: string[] = [];
    const { exit, inFlightAtKill } = await killUnderLoad(first, {
      loops: CLIENTS,
      step: async (id) => {
        const request: SentRequest = {
          path: '/v2/bulkevents',
          batches: Array.from({ length: 1 + rand(4) }, () => makeBatch(id)),
        };
        try {
          const res = await send(first, request);
          if (res.status === 202) acked.push(...request.batches);
          else unexpected.push(`${res.status} ${await res.text().catch(() => '')}`);
          await res.arrayBuffer().catch(() => undefined);
        } catch {
          unacknowledged.push(request); // no answer: the client does not know; it will retry
        }
      },
      acked: () => acked.length,
      failed: () => unexpected.length > 0,
      minMs: MIN_LOAD_MS,
      minAcked: MIN_ACKED,
      maxMs: MAX_LOAD_MS,
    });
    const ackedBeforeKill = acked.length;

    expect(unexpected, 'every answered request is a 202').toEqual([]);
    expect(exit.signal).toBe('SIGKILL');
    expect(inFlightAtKill, 'requests were in flight at the kill').toBeGreaterThan(0);
    expect(ackedBeforeKill, 'enough batches were acknowledged for the test to mean something').toBeGreaterThan(20);

    // Durable means durable: with the process dead, the log already holds every acknowledged batch.
    const afterKill = readLog(dataDir);
    const loggedAtKill = new Set(afterKill.rows.map((r) => r.envelope.batch.source_request_id));
    const lost = acked.filter((b) => !loggedAtKill.has(b.srid)).map((b) => b.srid);
    expect(lost, 'acknowledged batches missing from the log after the kill').toEqual([]);
    const pendingAtKill = afterKill.rows.filter((r) => r.offset > (afterKill.committed.get(`processor:${r.partition}`) ?? 0)).length;
    const storedBeyondCommit = await withEventStore(dataDir, async (query) => {
      let n = 0;
      for (let p = 0; p < afterKill.partitions; p++) {
        const [row] = await query('SELECT count(*)::INTEGER AS n FROM events WHERE partition = $1 AND log_offset > $2', [
          p,
          afterKill.committed.get(`processor:${p}`) ?? 0,
        ]);
        n += Number(row!.n);
      }
      return n;
    });

    // 2. Restart on the same data dir; the processor catches up on what the log holds.
    const second = await startQuanta({ dataDir, env: ENV });
    running.push(second);
    await second.waitForLag0();

    // 3. Clients retry what got no answer (same source_request_id): each is stored once at most,
    //    whether or not it reached the log before the kill.
    for (const request of unacknowledged) {
      const res = await send(second, request);
      expect(res.status, await res.text()).toBe(202);
      acked.push(...request.batches);
    }

    // 4. Re-send already-acknowledged batches: accepted (202) and deduplicated.
    const resent = [0, 1, 2, Math.floor(ackedBeforeKill / 2), ackedBeforeKill - 1].map((i) => acked[i]!);
    const fresh = makeBatch(99);
    const bulk = await send(second, { path: '/v2/bulkevents', batches: [...resent, fresh] });
    expect(bulk.status, await bulk.text()).toBe(202);
    acked.push(fresh);
    const single = await send(second, { path: '/v2/events', batches: [acked[3]!] });
    expect(single.status, await single.text()).toBe(202);

    await second.waitForLag0();

    // The calculated attribute: each client's count of its acknowledged batches, neither lost nor counted twice.
    const authorization = await bearer(second);
    const perClient = new Map<number, number>();
    for (const b of acked) {
      const client = (b.body.user_attributes as { client: number }).client;
      perClient.set(client, (perClient.get(client) ?? 0) + 1);
    }
    const mpidOf = new Map(readLog(dataDir).rows.map((r) => [(r.envelope.batch.user_attributes as { client?: number }).client, r.envelope.mpid]));
    const counts: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const [client, n] of perClient) {
      counts[client] = (await calculatedOf(second, authorization, mpidOf.get(client)!)).crash_tests;
      expected[client] = String(n);
    }
    expect(counts, 'each client\'s calculated count of its acknowledged batches').toEqual(expected);

    const stopped = await second.stop();
    expect(stopped, second.output()).toEqual({ code: 0, signal: null });

    // The audience, read once the stop has written what the stage holds (it writes behind, here
    // only at a stop): each client with 5 acknowledged batches was added once, and is a member;
    // the others were never added. Decisions before the kill were counted again from the log.
    const audiences = readAudiences(dataDir);
    const qualifying = [...perClient].filter(([, n]) => n >= AUDIENCE_BATCHES).map(([client]) => mpidOf.get(client)!).sort();
    expect(qualifying.length, 'some clients sent enough batches to join the audience').toBeGreaterThan(0);
    expect(audiences.changes.filter((c) => c.change === 'removed'), 'no client left the audience').toEqual([]);
    expect(audiences.changes.map((c) => c.mpid).sort(), 'one added change per qualifying client').toEqual(qualifying);
    expect(audiences.members.map((m) => m.mpid).sort(), 'the qualifying clients are members').toEqual(qualifying);

    // 5. The stores, read directly.
    const log = readLog(dataDir);
    const logBySrid = new Map<string, number[]>();
    for (const row of log.rows) {
      const srid = row.envelope.batch.source_request_id;
      expect(srid, `log offset ${row.offset} has a source_request_id`).toBeTypeOf('string');
      logBySrid.set(srid!, [...(logBySrid.get(srid!) ?? []), row.offset]);
    }
    const ackedSrids = new Set(acked.map((b) => b.srid));
    expect(ackedSrids.size, 'acknowledged batches have unique ids').toBe(acked.length);
    const notOnce = acked.filter((b) => logBySrid.get(b.srid)?.length !== 1).map((b) => [b.srid, logBySrid.get(b.srid) ?? []]);
    expect(notOnce, 'acknowledged batches not in the log exactly once').toEqual([]);
    const duplicatedInLog = [...logBySrid].filter(([, offsets]) => offsets.length > 1);
    expect(duplicatedInLog, 'source_request_ids logged more than once').toEqual([]);
    // After the retries every batch ever sent was acknowledged, so the log holds nothing else.
    expect(log.rows.length).toBe(acked.length);

    // Every partition's committed offset covers the end of that partition.
    for (let p = 0; p < log.partitions; p++) {
      const last = log.rows.filter((r) => r.partition === p).at(-1)?.offset ?? 0;
      expect(log.committed.get(`processor:${p}`) ?? 0, `partition ${p} committed offset`).toBeGreaterThanOrEqual(last);
    }

    await withEventStore(dataDir, async (query) => {
      const perSrid = await query(`
        SELECT source_request_id AS srid, count(*)::INTEGER AS n, count(DISTINCT event_index)::INTEGER AS indexes,
               min(event_index)::INTEGER AS lo, max(event_index)::INTEGER AS hi,
               count(DISTINCT log_offset)::INTEGER AS offsets, min(log_offset)::BIGINT AS log_offset
        FROM events_wide GROUP BY source_request_id`);
      const stored = new Map(perSrid.map((r) => [r.srid as string, r]));
      const wrong = acked.flatMap((b) => {
        const r = stored.get(b.srid);
        const expected = { n: kept(b.events), indexes: kept(b.events), lo: 0, hi: kept(b.events) - 1, offsets: 1, log_offset: logBySrid.get(b.srid)![0]! };
        const got = r && { n: r.n, indexes: r.indexes, lo: r.lo, hi: r.hi, offsets: r.offsets, log_offset: Number(r.log_offset) };
        return JSON.stringify(got) === JSON.stringify(expected) ? [] : [{ srid: b.srid, expected, got: got ?? 'no rows' }];
      });
      expect(wrong, 'acknowledged batches whose event rows are missing or duplicated').toEqual([]);
      const strangers = perSrid.filter((r) => !ackedSrids.has(r.srid as string));
      expect(strangers, 'event rows for batches never acknowledged').toEqual([]);

      const duplicates = await query(`
        SELECT partition, log_offset, event_index, count(*)::INTEGER AS n
        FROM events GROUP BY ALL HAVING count(*) > 1 LIMIT 20`);
      expect(duplicates, 'event rows stored twice').toEqual([]);
      const batchDuplicates = await query(`
        SELECT partition, log_offset, count(*)::INTEGER AS n FROM batches GROUP BY ALL HAVING count(*) > 1 LIMIT 20`);
      expect(batchDuplicates, 'batch rows stored twice').toEqual([]);
      const [batches] = await query('SELECT count(*)::INTEGER AS n FROM batches');
      expect(batches!.n).toBe(acked.length);

      const [total] = await query('SELECT count(*)::INTEGER AS n FROM events');
      expect(total!.n).toBe(acked.reduce((sum, b) => sum + kept(b.events), 0));
    });

    // The quarantine holds each batch with a blocked event once, and the report counts each once.
    const quality = readQuality(dataDir);
    const sridAt = new Map(log.rows.map((r) => [`${r.partition}:${r.offset}`, r.envelope.batch.source_request_id!]));
    const blockedSrids = quality.blocked.map((b) => sridAt.get(`${b.partition}:${b.logOffset}`)).sort();
    const expectedBlocked = acked.filter((b) => b.events === 3).map((b) => b.srid).sort();
    expect(expectedBlocked.length, 'some batches had an unplanned event').toBeGreaterThan(0);
    expect(blockedSrids, 'quarantined batches: each batch with a blocked event, once').toEqual(expectedBlocked);
    expect(quality.violations).toEqual([{ subject: 'custom_event:other:Crash Test 2', type: 'unplanned', key: 'Crash Test 2', count: expectedBlocked.length }]);

    console.log(
      `crash-recovery: ${ackedBeforeKill} batches acknowledged before the kill (${inFlightAtKill} requests in flight), ` +
        `${unacknowledged.length} unanswered requests retried, ${log.rows.length} batches logged; at the kill ` +
        `${pendingAtKill} logged batches were unprocessed and ${storedBeyondCommit} event rows were stored past the committed offsets`,
    );
  });
});
