import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeAttributes, userValues } from '../src/calculated/user-values.ts';
import { type Mpid, workspaceId } from '../src/kernel/ids.ts';
import { SqliteCalculatedStore } from '../src/storage/sqlite/sqlite-calculated-store.ts';
import { benchCalculatedAttributes } from './lib/bench-calculated.ts';
import { BodyPool } from './lib/bodies.ts';
import { Child, freePort, waitForJson } from './lib/procs.ts';
import { bearer, ROOT, saveResults, WORKSPACE_ID } from './lib/setup.ts';
import { driveBulk, fmt, type IngestOptions, log, quantaEnv, runQuanta } from './ingest.ts';
import { runPaired } from './paired.ts';

/**
 * `npm run bench -- calculated`:
 * 1. End-to-end throughput (events acknowledged and processed: the measured load's events over
 *    the load's time plus the time the processor took to catch up) with 100 active calculated
 *    attributes of every calculation type (`lib/bench-calculated.ts`), next to the same run's
 *    throughput with none, alternating. Target: at least 70%. CPU per event for both.
 * 2. Activation of one attribute over `--stored` events already in the event store: the time from
 *    `POST .../activation` until its calculation status says calculated, next to a hand-written
 *    DuckDB query computing the same values over the same event store file. Target: within 2x.
 */

export interface CalculatedOptions extends IngestOptions {
  /** Events stored before the activation is timed. */
  stored: number;
}

const TARGET_RATIO = 0.7;
const TARGET_ACTIVATION_RATIO = 2;

export async function runCalculated(o: CalculatedOptions): Promise<void> {
  const startedAt = new Date();
  const pool = new BodyPool({ batchesPerRequest: o.batches, eventsPerBatch: o.events });
  log(`${pool.stats.poolSize} bodies, ${pool.stats.distinctUsers} distinct users`);
  const paired = await runPaired(o, pool, { label: '100 calculated attributes', prepare: activateAll, targetRatio: TARGET_RATIO });
  const activation = await timeActivation(o, pool);
  const lines = [
    '',
    `calculated: ${o.connections} connections, ${o.batches} batches x ${o.events} events per request, ${o.duration} s per run, ${o.rounds} rounds, ${cpus().length} CPUs`,
    ...paired.lines,
    `activation over ${activation.events} stored events (${activation.users} users): ${fmt(activation.activationS, 2)} s; ` +
      `hand-written DuckDB query ${fmt(activation.queryS, 2)} s: ${fmt(activation.activationS / activation.queryS, 1)}x ` +
      `(target <= ${TARGET_ACTIVATION_RATIO}x)${activation.activationS / activation.queryS <= TARGET_ACTIVATION_RATIO ? '' : '  MISSED'}; ` +
      `values agree: ${activation.agree}`,
    ...paired.profiles,
  ];
  console.log(lines.join('\n'));
  saveResults('calculated', 'calculated', startedAt, o, {
    none: paired.figures.none,
    hundred: paired.figures.with,
    ratio: paired.ratio,
    activation,
    targets: { ratio: { min: TARGET_RATIO, met: paired.ratio >= TARGET_RATIO }, activation: { max: TARGET_ACTIVATION_RATIO, met: activation.activationS / activation.queryS <= TARGET_ACTIVATION_RATIO } },
  });
}

/** Creates attributes through the Platform API (drafts); their ids. */
async function create(base: string, authorization: string, attributes: { name: string; draft_definition: Record<string, unknown> }[]): Promise<number[]> {
  const ids: number[] = [];
  for (const attribute of attributes) {
    const created = await fetch(attributesUrl(base), { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(attribute) });
    if (!created.ok) throw new Error(`creating ${attribute.name}: HTTP ${created.status} ${await created.text()}`);
    ids.push(Number(await created.json()));
  }
  return ids;
}

/** Activates attributes through the Platform API. */
async function activate(base: string, authorization: string, ids: readonly number[]): Promise<void> {
  for (const id of ids) {
    const activated = await fetch(`${attributesUrl(base)}/${id}/activation`, { method: 'POST', headers: { authorization } });
    if (!activated.ok) throw new Error(`activating ${id}: HTTP ${activated.status} ${await activated.text()}`);
  }
}

const attributesUrl = (base: string) => `${base}/platform/v2/workspaces/${WORKSPACE_ID}/calculatedattributes`;

const activateAll = async (base: string) => {
  const authorization = await bearer(base);
  await activate(base, authorization, await create(base, authorization, benchCalculatedAttributes(Date.now())));
};

/** The attribute whose activation is timed: purchases counted per user, its values checked against the query's. */
const TIMED = (nowMs: number) => ({
  name: 'bench_activation_purchases',
  draft_definition: {
    recipe_type: 'event',
    calculation_type: 'count',
    datapoint: { type: 'event', event_type: 'commerce_event', custom_event_type: 'purchase' },
    conditions: [],
    time_period: { type: 'since', date: new Date(nowMs - 30 * 86_400_000).toISOString().slice(0, 19) },
  },
});
const HAND_WRITTEN = `
  SELECT mpid::VARCHAR AS mpid, count(*)::INTEGER AS n FROM events
  WHERE workspace_id = ${WORKSPACE_ID} AND event_type = 'commerce_event' AND aliased_from IS NULL
    AND json_extract_string(data, '$.product_action.action') = 'purchase'
  GROUP BY mpid`;

async function timeActivation(o: CalculatedOptions, pool: BodyPool) {
  const dataDir = mkdtempSync(join(tmpdir(), 'quanta-bench-activation-'));
  try {
    const requests = Math.ceil(o.stored / pool.eventsPerRequest);
    log(`activation: storing ${requests * pool.eventsPerRequest} events...`);
    await runQuanta({ ...o, warmup: 0 }, pool, driveBulk({ ...o, duration: 3600 }, pool, { maxRequests: requests }), { label: 'quanta (filling)', dataDir });
    const port = await freePort();
    const child = new Child('quanta (activation)', ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: quantaEnv(dataDir, port) });
    const base = `http://127.0.0.1:${port}`;
    let activationS: number;
    let id: number;
    try {
      await waitForJson<{ status: string }>(`${base}/healthz`, (b) => b.status === 'ok', { timeoutMs: 60_000, child });
      const authorization = await bearer(base);
      [id] = (await create(base, authorization, [TIMED(Date.now())])) as [number];
      const t0 = performance.now();
      await activate(base, authorization, [id]);
      await waitForJson<{ is_calculated: boolean }>(`${attributesUrl(base)}/${id}/calculation`, (b) => b.is_calculated, {
        timeoutMs: 600_000,
        intervalMs: 10,
        child,
        headers: { authorization },
      });
      activationS = (performance.now() - t0) / 1000;
    } finally {
      await child.stop('SIGTERM');
    }
    const instance = await DuckDBInstance.create(join(dataDir, 'events.duckdb'), { access_mode: 'READ_ONLY' });
    const connection = await instance.connect();
    const t1 = performance.now();
    const rows = (await connection.runAndReadAll(HAND_WRITTEN)).getRowObjectsJS() as { mpid: string; n: number }[];
    const queryS = (performance.now() - t1) / 1000;
    const [events] = (await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM events')).getRowObjectsJS() as { n: number }[];
    connection.closeSync();
    instance.closeSync();
    const values = await storedValues(dataDir, id, rows.map((r) => r.mpid));
    const agree = rows.every((r) => values.get(r.mpid) === r.n);
    return { events: events!.n, users: rows.length, activationS, queryS, agree };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Each of these users' value of the attribute, from the store's states (as the Profile API computes it). */
async function storedValues(dataDir: string, id: number, mpids: readonly string[]): Promise<Map<string, number>> {
  const store = new SqliteCalculatedStore(join(dataDir, 'state.sqlite'));
  try {
    const ws = workspaceId(WORKSPACE_ID);
    const attribute = activeAttributes(await store.list(ws)).find((a) => a.id === id)!;
    const users = await store.users(ws, mpids as Mpid[]);
    const values = new Map<string, number>();
    for (const mpid of mpids) {
      const value = userValues([attribute], users.get(mpid as Mpid), Date.now())[attribute.name];
      if (value !== undefined) values.set(mpid, Number(value));
    }
    return values;
  } finally {
    await store.close();
  }
}
