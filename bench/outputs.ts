import { cpus } from 'node:os';
import { BodyPool } from './lib/bodies.ts';
import type { LoadResult } from './lib/load.ts';
import { type BenchReceiver, startBenchReceiver } from './lib/receivers.ts';
import { bearer, saveResults, WORKSPACE_ID } from './lib/setup.ts';
import { driveBulk, fmt, type IngestOptions, log, type QuantaRun, runQuanta, threadCpuText } from './ingest.ts';
import { endToEnd } from './paired.ts';

/**
 * `npm run bench -- outputs`: events delivered to local webhook receivers end to end (acknowledged,
 * processed and received), with one connection and with five (one of them to a receiver that
 * fails half its requests with 503), next to the same run's ingest-only throughput (no
 * connection: acknowledged and processed). Target: five connections deliver at least 70% of it,
 * and the healthy connections catch up after the load as fast as the one connection alone.
 */

const TARGET_RATIO = 0.7;
/** Each webhook POST carries up to this many batches (a JSON array): delivery is batched per output. */
const BATCHES_PER_REQUEST = 100;

interface Delivered {
  run: QuantaRun;
  /** Events of the measured load over its time plus the time until every healthy receiver had them all. */
  deliveredPerS: number;
  /** Seconds from the end of the load until every healthy receiver had every batch. */
  catchUpS: number;
  /** The failing connection's pending batches and oldest pending age when the healthy ones were done. */
  failing?: { pending: number; oldestS: number | null; requests: number };
}

export async function runOutputs(o: IngestOptions): Promise<void> {
  const startedAt = new Date();
  const pool = new BodyPool({ batchesPerRequest: o.batches, eventsPerBatch: o.events });
  log(`${pool.stats.poolSize} bodies, ${pool.stats.distinctUsers} distinct users`);
  const runs: { none: QuantaRun[]; one: Delivered[]; five: Delivered[] } = { none: [], one: [], five: [] };
  for (let r = 1; r <= o.rounds; r++) {
    const of = o.rounds > 1 ? ` (round ${r} of ${o.rounds})` : '';
    runs.none.push(await runQuanta(o, pool, driveBulk(o, pool), { label: `quanta, ingest only${of}` }));
    runs.one.push(await delivered(o, pool, 1, false, `quanta, 1 webhook connection${of}`));
    runs.five.push(await delivered(o, pool, 5, true, `quanta, 5 webhook connections, one failing half its requests${of}`));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  const none = median(runs.none.map(endToEnd));
  const one = median(runs.one.map((d) => d.deliveredPerS));
  const five = median(runs.five.map((d) => d.deliveredPerS));
  const oneCatchUp = median(runs.one.map((d) => d.catchUpS));
  const fiveCatchUp = median(runs.five.map((d) => d.catchUpS));
  const ratio = five / none;
  const lines = [
    '',
    `outputs: ${o.connections} connections, ${o.batches} batches x ${o.events} events per request, ${o.duration} s per run, ${o.rounds} rounds, ${cpus().length} CPUs`,
    ...runs.none.map((r, i) => {
      const a = runs.one[i]!;
      const b = runs.five[i]!;
      return (
        `  ingest only: ${fmt(endToEnd(r), 0)} events/s acknowledged and processed, CPU ${fmt(r.cpuUsPerEvent, 1)} µs/event\n` +
        `  1 connection: ${fmt(a.deliveredPerS, 0)} events/s delivered (acknowledged ${fmt(a.run.result.eventsPerS, 0)}/s, received all ${fmt(a.catchUpS, 1)} s after the load), CPU ${fmt(a.run.cpuUsPerEvent, 1)} µs/event\n` +
        `  5 connections: ${fmt(b.deliveredPerS, 0)} events/s delivered to each healthy one (acknowledged ${fmt(b.run.result.eventsPerS, 0)}/s, received all ${fmt(b.catchUpS, 1)} s after the load), CPU ${fmt(b.run.cpuUsPerEvent, 1)} µs/event; ` +
        `the failing one then had ${b.failing?.pending ?? '?'} batches pending, the oldest ${fmt(b.failing?.oldestS ?? 0, 1)} s old (${b.failing?.requests ?? '?'} requests, half refused)`
      );
    }),
    `medians: ingest only ${fmt(none, 0)} events/s; 1 connection ${fmt(one, 0)} (${fmt((one / none) * 100, 1)}%); 5 connections ${fmt(five, 0)} (${fmt(ratio * 100, 1)}%, target >= ${TARGET_RATIO * 100}%)${ratio >= TARGET_RATIO ? '' : '  MISSED'}`,
    `healthy connections caught up after the load: ${fmt(fiveCatchUp, 1)} s with the failing one beside them, ${fmt(oneCatchUp, 1)} s for one connection alone`,
    `${threadCpuText(runs.one.at(-1)!.run)} (1 connection)`,
    `${threadCpuText(runs.five.at(-1)!.run)} (5 connections)`,
  ];
  console.log(lines.join('\n'));
  saveResults('outputs', 'outputs', startedAt, o, {
    none: runs.none.map((r) => ({ endToEndEventsPerS: endToEnd(r), cpuUsPerEvent: r.cpuUsPerEvent })),
    one: runs.one.map((d) => ({ deliveredPerS: d.deliveredPerS, catchUpS: d.catchUpS, cpuUsPerEvent: d.run.cpuUsPerEvent })),
    five: runs.five.map((d) => ({ deliveredPerS: d.deliveredPerS, catchUpS: d.catchUpS, cpuUsPerEvent: d.run.cpuUsPerEvent, failing: d.failing })),
    ratio,
    targets: { ratio: { min: TARGET_RATIO, met: ratio >= TARGET_RATIO } },
  });
}

/** One Quanta run with `n` webhook connections (the last to a half-failing receiver when `failing`), measured until every healthy receiver has every batch. */
async function delivered(o: IngestOptions, pool: BodyPool, n: number, failing: boolean, label: string): Promise<Delivered> {
  const receivers: BenchReceiver[] = [];
  for (let i = 0; i < n; i++) receivers.push(await startBenchReceiver(failing && i === n - 1));
  const healthy = failing ? receivers.slice(0, -1) : receivers;
  const connectionIds: number[] = [];
  let catchUpS = 0;
  let failingState: Delivered['failing'];
  try {
    const drive = async (port: number): Promise<LoadResult> => {
      const base = `http://127.0.0.1:${port}`;
      const authorization = await bearer(base);
      const status = async (id: number) =>
        (await (await fetch(`${base}/platform/v2/workspaces/${WORKSPACE_ID}/connections/${id}/status`, { headers: { authorization } })).json()) as { pending: number; oldest_pending_age_seconds: number | null };
      const healthyIds = failing ? connectionIds.slice(0, -1) : connectionIds;
      // The warm-up's batches delivered first, so the measured load starts with nothing waiting.
      await waitFor('the warm-up delivered', async () => (await Promise.all(healthyIds.map(status))).every((s) => s.pending === 0), o.drainTimeout);
      const before = healthy.map((h) => h.accepted());
      const result = await driveBulk(o, pool)(port);
      const expected = result.ok * o.batches;
      const t0 = Date.now();
      await waitFor('every healthy receiver to have every batch', () => healthy.every((h, i) => h.accepted() - before[i]! >= expected), o.drainTimeout);
      catchUpS = (Date.now() - t0) / 1000;
      if (failing) {
        const s = await status(connectionIds.at(-1)!);
        failingState = { pending: s.pending, oldestS: s.oldest_pending_age_seconds, requests: receivers.at(-1)!.requests() };
      }
      return result;
    };
    const prepare = async (base: string) => {
      const authorization = await bearer(base);
      const headers = { authorization, 'content-type': 'application/json' };
      const post = async (path: string, body: unknown) => {
        const res = await fetch(`${base}/platform/v2/workspaces/${WORKSPACE_ID}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
        if (res.status !== 201) throw new Error(`POST ${path}: HTTP ${res.status} ${await res.text()}`);
        return ((await res.json()) as { id: number }).id;
      };
      for (const [i, r] of receivers.entries()) {
        const output = await post('/outputs', { name: `bench ${i}`, kind: 'webhook', settings: { url: r.url, batches_per_request: BATCHES_PER_REQUEST } });
        connectionIds.push(await post('/connections', { output_id: output }));
      }
    };
    const run = await runQuanta(o, pool, drive, { label, prepare });
    return { run, deliveredPerS: run.result.events / (run.result.elapsedS + catchUpS), catchUpS, ...(failingState ? { failing: failingState } : {}) };
  } finally {
    await Promise.all(receivers.map((r) => r.close()));
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutS: number): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutS} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
