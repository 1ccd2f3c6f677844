import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BodyPool, type BodyStats } from './lib/bodies.ts';
import { topSelfTime, type SelfTime } from './lib/cpuprofile.ts';
import { type LoadResult, runLoad } from './lib/load.ts';
import { Child, cpuSeconds, freePort, threadCpuSeconds, waitForJson } from './lib/procs.ts';
import { countersByLabel, countersMatching, countersSince, histogramQuantile, histogramSince, labelValues, parseHistogram, sumCounter } from './lib/stats.ts';
import { API_KEY, API_SECRET, BASIC_AUTH, CLIENT_ID, CLIENT_SECRET, RESULTS, ROOT, saveResults } from './lib/setup.ts';

/**
 * `npm run bench -- ingest`: the durable ingest throughput of Quanta's `/v2/bulkevents`, against
 * a ceiling measured in the same run (a bare node:http server that only `JSON.parse`s), and the
 * processing lag from the 202 to the event store. `--plan` is in `ingest-plan.ts`, built on the
 * pieces exported here.
 */

export interface IngestOptions {
  duration: number;
  connections: number;
  batches: number;
  events: number;
  warmup: number;
  drainTimeout: number;
  cpuProf: boolean;
  /** Also run Quanta with a data plan enforced (`ingest-plan.ts`). */
  plan: boolean;
  /** With `plan`: unplanned/planned pairs to run, the median of each reported. */
  rounds: number;
}

export const TARGET_RATIO = 0.5;
export const TARGET_LAG_P99_MS = 1000;

export interface Target {
  name: string;
  result: LoadResult;
}

export interface ProcessingLag {
  p50Ms: number;
  p99Ms: number;
  p99Overflow: boolean;
  /** Events observed reaching the event store. */
  count: number;
  meanMs: number;
}

export interface QuantaRun extends Target {
  drainS: number;
  lag: ProcessingLag | undefined;
  /**
   * Quanta's CPU time (every thread) from the start of the load until it caught up, per event
   * accepted: what ingesting and processing an event costs, steadier on a shared machine than
   * throughput, which also depends on how the work is scheduled.
   */
  cpuUsPerEvent: number;
  /** The same by thread group ({@link threadCpuSeconds}), largest first. */
  cpuByThread: [string, number][];
  eventsAcceptedMetric: number;
  rejectedMetric: number;
  /** `quanta_pipeline_stage_outcomes_total` by `stage outcome`, e.g. `event-store ok`. */
  stageOutcomes: Record<string, number>;
  /** Every counter whose name mentions a data plan, summed over its labels. */
  planCounters: Record<string, number>;
  /** Per stage, its flushes during the measured load: how many, their p99 and a bound on the slowest (ms). */
  flushes: { stage: string; count: number; p50Ms: number; p99Ms: number; maxAtMostMs: number }[];
  /** With `--cpu-prof`: the two busiest threads' profiles (the event loop and the processor thread). */
  profiles?: { file: string; top: SelfTime[] }[];
}

export interface QuantaRunOptions {
  /** How progress lines name the run. */
  label?: string;
  /** Called once Quanta is healthy, before the preflight (e.g. to create a data plan). */
  prepare?: (base: string) => Promise<void>;
  /** Run on this data dir and keep it (by default a fresh one, removed afterwards). */
  dataDir?: string;
}

/** The environment Quanta runs with in a benchmark: the bootstrap credentials, no rate limit, warnings only. */
export function quantaEnv(dataDir: string, port?: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('QUANTA_') && !['HOST', 'PORT', 'LOG_LEVEL'].includes(k)) env[k] = v;
  }
  return Object.assign(env, {
    HOST: '127.0.0.1',
    ...(port === undefined ? {} : { PORT: String(port) }),
    QUANTA_DATA_DIR: dataDir,
    QUANTA_API_KEY: API_KEY,
    QUANTA_API_SECRET: API_SECRET,
    QUANTA_CLIENT_ID: CLIENT_ID,
    QUANTA_CLIENT_SECRET: CLIENT_SECRET,
    QUANTA_RATE_LIMIT: '0',
    LOG_LEVEL: 'warn',
  });
}

const FLUSH_METRIC = 'quanta_pipeline_stage_flush_seconds';

export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/**
 * The closed-loop load of `o` on `/v2/bulkevents`, each request a fresh body of `pool`, after
 * `warmupS` seconds not measured (Quanta runs warm up before their load: see {@link runQuanta}),
 * stopping early after `maxRequests`.
 */
export function driveBulk(
  o: IngestOptions,
  pool: BodyPool,
  { warmupS = 0, maxRequests }: { warmupS?: number; maxRequests?: number } = {},
): (port: number) => Promise<LoadResult> {
  return (port) =>
    runLoad({
      port,
      path: '/v2/bulkevents',
      headers: { 'content-type': 'application/json', authorization: BASIC_AUTH },
      connections: o.connections,
      durationMs: o.duration * 1000,
      warmupMs: warmupS * 1000,
      ...(maxRequests === undefined ? {} : { maxRequests }),
      nextBody: () => pool.next(),
      eventsPerRequest: pool.eventsPerRequest,
      okStatus: 202,
    });
}

export async function runIngest(o: IngestOptions): Promise<void> {
  const startedAt = new Date();
  log(`generating bodies (${o.batches} batches x ${o.events} events per request)...`);
  const pool = new BodyPool({ batchesPerRequest: o.batches, eventsPerBatch: o.events });
  const s = pool.stats;
  log(`${s.poolSize} bodies, ${s.distinctUsers} distinct users, avg ${kb(s.avgRequestBytes)} per request, largest batch ${kb(s.maxBatchBytes)}`);
  const ceiling = await runCeiling(driveBulk(o, pool, { warmupS: o.warmup }));
  const quanta = await runQuanta(o, pool, driveBulk(o, pool));

  const ratio = quanta.result.eventsPerS / ceiling.result.eventsPerS;
  const report = formatReport(o, s, ceiling, quanta, ratio);
  console.log(report);

  saveResults('ingest', 'ingest', startedAt, o, {
    bodies: s,
    ceiling: figures(ceiling.result),
    quanta: quantaFigures(quanta),
    ratio,
    targets: {
      ratio: { min: TARGET_RATIO, met: ratio >= TARGET_RATIO },
      processingLagP99Ms: { max: TARGET_LAG_P99_MS, met: quanta.lag !== undefined && quanta.lag.p99Ms < TARGET_LAG_P99_MS },
    },
  });
}

export async function runCeiling(drive: (port: number) => Promise<LoadResult>): Promise<Target> {
  const child = new Child('ceiling server', ['--import', 'tsx', join(ROOT, 'bench', 'lib', 'ceiling-server.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0' },
  });
  try {
    const port = Number((await child.waitForOutput(/ready (\d+)/, 30_000))[1]);
    log(`ceiling (node:http + JSON.parse) on port ${port}: driving...`);
    const result = await drive(port);
    return { name: 'ceiling', result };
  } finally {
    await child.stop();
  }
}

export async function runQuanta(
  o: IngestOptions,
  pool: BodyPool,
  drive: (port: number) => Promise<LoadResult>,
  options: QuantaRunOptions = {},
): Promise<QuantaRun> {
  const label = options.label ?? 'quanta';
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'quanta-bench-'));
  const port = await freePort();
  const env = quantaEnv(dataDir, port);
  const profDir = o.cpuProf ? mkdtempSync(join(tmpdir(), 'quanta-bench-prof-')) : undefined;
  const args = [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), '--import', 'tsx', 'src/main.ts'];
  const child = new Child(label, args, { cwd: ROOT, env });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForJson<{ status: string }>(`${base}/healthz`, (b) => b.status === 'ok', { timeoutMs: 60_000, child });
    await options.prepare?.(base);
    await preflight(base, pool);
    if (o.warmup > 0) {
      // Measured warm: the ingest path and the processor's (the JIT, a plan's validators, the worker threads).
      log(`${label} on port ${port} (data dir ${dataDir}): warming up, ${o.warmup} s of load, then processing catches up...`);
      await driveBulk({ ...o, duration: o.warmup }, pool)(port);
      await caughtUp(base, child, o.drainTimeout);
    }
    const before = await (await fetch(`${base}/metrics`)).text();
    log(`${label} on port ${port} (data dir ${dataDir}): driving /v2/bulkevents...`);
    const cpuAtStart = cpuSeconds(child.proc.pid);
    const threadsAtStart = threadCpuSeconds(child.proc.pid);
    const result = await drive(port);
    if (!child.running) throw new Error(`${label} exited during the load:\n${child.output()}`);
    log('load stopped; waiting for processing to catch up (log_lag 0)...');
    const t0 = Date.now();
    await caughtUp(base, child, o.drainTimeout);
    const drainS = (Date.now() - t0) / 1000;
    const events = (result.ok + result.warmupOk) * pool.eventsPerRequest;
    const cpuUsPerEvent = ((cpuSeconds(child.proc.pid) - cpuAtStart) * 1e6) / events;
    const cpuByThread = [...threadCpuSeconds(child.proc.pid)]
      .map(([name, s]): [string, number] => [name, ((s - (threadsAtStart.get(name) ?? 0)) * 1e6) / events])
      .sort((a, b) => b[1] - a[1]);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    // Only what the measured load did: the warm-up's events are in the metrics too.
    const lagSeconds = parseHistogram(metrics, 'quanta_processing_lag_seconds');
    const h = lagSeconds && histogramSince(lagSeconds, parseHistogram(before, 'quanta_processing_lag_seconds'));
    const lag = h && {
      p50Ms: Math.round(histogramQuantile(h, 0.5).value * 1000),
      p99Ms: Math.round(histogramQuantile(h, 0.99).value * 1000),
      p99Overflow: histogramQuantile(h, 0.99).overflow,
      count: h.count,
      meanMs: h.count ? Math.round((h.sum / h.count) * 1000) : NaN,
    };
    // Each stage's slowest flushes during the measured load (a write behind shows here), slowest first.
    const flushes = labelValues(metrics, FLUSH_METRIC, 'stage')
      .map((stage) => {
        const f = histogramSince(parseHistogram(metrics, FLUSH_METRIC, { stage })!, parseHistogram(before, FLUSH_METRIC, { stage }));
        const p99 = histogramQuantile(f, 0.99);
        // The bound of the highest bucket an observation fell in: the slowest flush was at most this.
        const top = f.buckets.find((b) => b.count === f.count)?.le ?? Infinity;
        const p50 = histogramQuantile(f, 0.5);
        return { stage, count: f.count, p50Ms: Math.round(p50.value * 1000), p99Ms: Math.round(p99.value * 1000), maxAtMostMs: top === Infinity ? Infinity : Math.round(top * 1000) };
      })
      .filter((f) => f.count > 0)
      .sort((a, b) => b.p99Ms - a.p99Ms);
    const since = (name: string) => sumCounter(metrics, name) - sumCounter(before, name);
    const eventsAcceptedMetric = since('quanta_events_accepted_total');
    if (result.errors === 0 && eventsAcceptedMetric !== events) {
      log(`warning: ${label}: quanta_events_accepted_total is ${eventsAcceptedMetric}, the bench counted ${events} events answered 202`);
    }
    const code = await child.stop('SIGTERM');
    if (code !== 0) log(`warning: ${label} exited with code ${code}:\n${child.output()}`);
    let profiles: QuantaRun['profiles'];
    if (profDir) {
      // One file per thread; the two biggest are the app's event loop and the processor thread.
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      const biggest = files.map((f) => join(profDir, f)).sort((a, b) => statSync(b).size - statSync(a).size).slice(0, 2);
      if (biggest.length === 0) log('warning: no .cpuprofile was written');
      mkdirSync(RESULTS, { recursive: true });
      profiles = biggest.map((file, i) => {
        const kept = join(RESULTS, `quanta-${Date.now()}-${i}.cpuprofile`);
        copyFileSync(file, kept);
        return { file: kept, top: topSelfTime(kept, 30) };
      });
    }
    return {
      name: label,
      result,
      drainS,
      lag,
      cpuUsPerEvent,
      cpuByThread,
      eventsAcceptedMetric,
      rejectedMetric: since('quanta_requests_rejected_total'),
      stageOutcomes: countersSince(
        countersByLabel(metrics, 'quanta_pipeline_stage_outcomes_total', ['stage', 'outcome']),
        countersByLabel(before, 'quanta_pipeline_stage_outcomes_total', ['stage', 'outcome']),
      ),
      planCounters: countersSince(countersMatching(metrics, /plan/), countersMatching(before, /plan/)),
      flushes,
      ...(profiles ? { profiles } : {}),
    };
  } finally {
    await child.stop('SIGTERM');
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (profDir) rmSync(profDir, { recursive: true, force: true });
  }
}

/** Resolves once Quanta's processor has caught up with its log (`/healthz` reports `log_lag` 0), reporting the lag every 5 s. */
export async function caughtUp(base: string, child: Child, timeoutS: number): Promise<void> {
  let lastReport = Date.now();
  await waitForJson<{ log_lag: number }>(
    `${base}/healthz`,
    (b) => {
      if (Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        log(`  log_lag ${b.log_lag}`);
      }
      return b.log_lag === 0;
    },
    { timeoutMs: timeoutS * 1000, intervalMs: 50, child },
  );
}

/** One request before measuring, so a refused body fails loudly instead of as 100% non-202s. */
async function preflight(base: string, pool: BodyPool): Promise<void> {
  const res = await fetch(`${base}/v2/bulkevents`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: BASIC_AUTH,
    },
    body: pool.next(),
  });
  if (res.status !== 202) throw new Error(`quanta refused the benchmark body: HTTP ${res.status} ${(await res.text()).slice(0, 1000)}`);
}

export function figures(r: LoadResult) {
  return {
    seconds: round(r.elapsedS, 3),
    requests: r.requests,
    accepted: r.ok,
    nonAccepted: r.notOk,
    errors: r.errors,
    statuses: r.statuses,
    samples: r.samples,
    events: r.events,
    requestsPerS: round(r.requestsPerS, 1),
    eventsPerS: round(r.eventsPerS, 0),
    latencyMs: Object.fromEntries(Object.entries(r.latency).map(([k, v]) => [k, round(v, 2)])),
  };
}

/** The JSON figures of a Quanta run. */
export function quantaFigures(quanta: QuantaRun) {
  return {
    ...figures(quanta.result),
    drainSeconds: quanta.drainS,
    cpuUsPerEvent: round(quanta.cpuUsPerEvent, 1),
    cpuUsPerEventByThread: Object.fromEntries(quanta.cpuByThread.map(([name, us]) => [name, round(us, 1)])),
    processingLag: quanta.lag ?? null,
    eventsAcceptedMetric: quanta.eventsAcceptedMetric,
    requestsRejectedMetric: quanta.rejectedMetric,
    stageOutcomes: quanta.stageOutcomes,
    planCounters: quanta.planCounters,
    ...(quanta.profiles ? { profiles: quanta.profiles } : {}),
  };
}

/** One report line of a load: requests/s, events/s and latency. */
export const loadLine = (label: string, r: LoadResult, extra = '') =>
  `${label.padEnd(38)}${fmt(r.requestsPerS, 1).padStart(8)} req/s, ${fmt(r.eventsPerS, 0).padStart(8)} events/s, ` +
  `p50 ${fmt(r.latency.p50, 1)} ms, p99 ${fmt(r.latency.p99, 1)} ms${extra}`;

/** The processing-lag figures of a run, against the p99 target. */
export const lagText = (lag: ProcessingLag) =>
  `p50 ${fmt(lag.p50Ms, 0)} ms, p99 ${lag.p99Overflow ? '> ' : ''}${fmt(lag.p99Ms, 0)} ms ` +
  `(target p99 < ${TARGET_LAG_P99_MS} ms)${lag.p99Ms < TARGET_LAG_P99_MS && !lag.p99Overflow ? '' : '  MISSED'}`;

/** A run's CPU per event by thread group, as one report line. */
export const threadCpuText = (quanta: QuantaRun) =>
  `CPU µs per event by thread: ${quanta.cpuByThread.map(([name, us]) => `${name} ${fmt(us, 1)}`).join(', ')}`;

/** Each profile's top self-time functions, as report lines. */
export function profileLines(quanta: QuantaRun): string[] {
  return (quanta.profiles ?? []).flatMap((profile) => [
    `${quanta.name} CPU profile of a thread (${profile.file}), top self time:`,
    ...profile.top.map((t) => `  ${fmt(t.percent, 1).padStart(5)}%  ${fmt(t.ms, 0).padStart(7)} ms  ${t.fn}  ${t.where}`),
  ]);
}

function formatReport(o: IngestOptions, s: BodyStats, ceiling: Target, quanta: QuantaRun, ratio: number): string {
  const line = loadLine;
  const q = quanta.result;
  const lag = quanta.lag;
  const lines = [
    '',
    `ingest: ${o.connections} connections, ${o.batches} batches x ${o.events} events per request ` +
      `(${s.eventsPerRequest} events, avg ${kb(s.avgRequestBytes)}), ${o.duration} s measured after ${o.warmup} s warm-up, ` +
      `${cpus().length} CPUs`,
    line('ceiling (node:http + JSON.parse):', ceiling.result, notOk(ceiling.result)),
    line('quanta /v2/bulkevents (durable):', q, `, non-202: ${q.notOk + q.errors}`),
    `quanta / ceiling: ${fmt(ratio * 100, 1)}%  (target >= ${TARGET_RATIO * 100}%)${ratio >= TARGET_RATIO ? '' : '  MISSED'}`,
    lag
      ? `processing lag (202 -> event store): ${lagText(lag)}; ` +
        `${lag.count} events, caught up ${fmt(quanta.drainS, 1)} s after the load stopped; ` +
        `CPU ${fmt(quanta.cpuUsPerEvent, 1)} µs per event`
      : 'processing lag: quanta_processing_lag_seconds not found in /metrics',
    threadCpuText(quanta),
  ];
  if (q.samples.length) lines.push(`quanta non-202 samples:\n  ${q.samples.join('\n  ')}`);
  if (ceiling.result.samples.length) lines.push(`ceiling non-202 samples:\n  ${ceiling.result.samples.join('\n  ')}`);
  lines.push(...profileLines(quanta));
  return lines.join('\n');
}

export const notOk = (r: LoadResult) => (r.notOk + r.errors ? `, non-202: ${r.notOk + r.errors}` : '');
export const round = (n: number, digits: number) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);
export const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
