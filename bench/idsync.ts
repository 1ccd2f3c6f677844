import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { IdentityRecord } from '../src/identity/identity-store.ts';
import { type Mpid, parseMpid, workspaceId } from '../src/kernel/ids.ts';
import { SqliteIdentityStore } from '../src/storage/sqlite/sqlite-identity-store.ts';
import { type SelfTime, topSelfTime } from './lib/cpuprofile.ts';
import { type LoadResult, runLoad } from './lib/load.ts';
import { Child, freePort, waitForJson } from './lib/procs.ts';
import { sumCounter } from './lib/stats.ts';
import { API_KEY, API_SECRET, BASIC_AUTH, RESULTS, ROOT, saveResults } from './lib/setup.ts';

/**
 * `npm run bench -- idsync`: IDSync `identify` and `login` throughput and latency of Quanta with
 * a large identity graph preloaded, against a ceiling measured in the same run (a bare node:http
 * server that only `JSON.parse`s and answers a small identity response), plus how long Quanta
 * takes to start with that graph and how much memory it holds.
 */

export interface IdsyncOptions {
  duration: number;
  connections: number;
  identities: number;
  warmup: number;
  cpuProf: boolean;
}

const TARGET_RATIO = 0.3;
const TARGET_P99_MS = 5;
/** Every preloaded profile carries customer_id and email: two identities per record. */
const IDENTITIES_PER_RECORD = 2;
const CHUNK = 10_000;
/** Share of requests for customers the graph does not know yet (each creates a profile). */
const NEW_SHARE = 0.1;
const CEILING_ANSWER = '{"mpid":"1","is_logged_in":false,"is_ephemeral":false,"matched_identities":{},"context":null}';
const OPERATIONS = ['identify', 'login'] as const;
type Operation = (typeof OPERATIONS)[number];

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Realistic Web SDK identity request bodies: ~90% known customers (random), ~10% new ones (unique). */
class IdentityBodies {
  known = 0;
  fresh = 0;

  /** `newCustomers.next` is the next unused customer number (shared, so two runs never reuse one). */
  constructor(
    private readonly records: number,
    private readonly newCustomers = { next: records },
  ) {}

  next(): Buffer {
    let n: number;
    if (Math.random() < NEW_SHARE) {
      n = this.newCustomers.next++;
      this.fresh++;
    } else {
      n = Math.floor(Math.random() * this.records);
      this.known++;
    }
    return IdentityBodies.body(n);
  }

  static body(n: number): Buffer {
    return Buffer.from(
      '{"client_sdk":{"platform":"web","sdk_vendor":"mparticle","sdk_version":"2.68.0"},"environment":"production",' +
        `"request_id":"${randomUUID()}","request_timestamp_ms":${Date.now()},"previous_mpid":null,` +
        `"known_identities":{"customerid":"cust-${n}","email":"cust-${n}@example.com","device_application_stamp":"${randomUUID()}"}}`,
      'utf8',
    );
  }
}

interface Memory {
  /** `quanta_process_resident_memory_bytes` from /metrics. */
  rssBytes: number;
  /** `quanta_nodejs_heap_size_used_bytes` from /metrics. */
  heapUsedBytes: number;
  /** Peak RSS so far (VmHWM in /proc/<pid>/status; Linux only). */
  peakRssBytes: number | null;
}

interface Startup {
  readyS: number;
  memory: Memory;
}

interface Preload {
  records: number;
  identities: number;
  seconds: number;
  stateSqliteBytes: number;
}

interface QuantaRun {
  startup: Startup;
  runs: OperationRun[];
  memoryAfterLoad: Memory;
  profile?: { file: string; top: SelfTime[] } | undefined;
}

/** Time Quanta spent in garbage collection (`quanta_nodejs_gc_duration_seconds`). */
interface Gc {
  seconds: number;
  majorSeconds: number;
  majorCount: number;
}

interface OperationRun {
  operation: Operation;
  result: LoadResult;
  /** GC during the warm-up and the measurement. */
  gc: Gc;
  /** Quanta's event-loop delay over the warm-up and the measurement (prom-client resets it at each scrape). */
  eventLoopDelay: { p99Ms: number; maxMs: number };
  knownRequests: number;
  newRequests: number;
}

export async function runIdsync(o: IdsyncOptions): Promise<void> {
  const startedAt = new Date();
  const records = Math.ceil(o.identities / IDENTITIES_PER_RECORD);
  const load = (port: number, operation: Operation, bodies: IdentityBodies) =>
    runLoad({
      port,
      path: `/identity/v1/${operation}`,
      headers: { 'content-type': 'application/json', authorization: BASIC_AUTH },
      connections: o.connections,
      durationMs: o.duration * 1000,
      warmupMs: o.warmup * 1000,
      nextBody: () => bodies.next(),
      eventsPerRequest: 1,
      okStatus: 200,
    });

  const ceiling = await runCeiling((port) => load(port, 'identify', new IdentityBodies(records)));
  const empty = await startupOfEmptyQuanta();
  log(`quanta with an empty data dir: ready in ${fmt(empty.readyS, 2)} s, RSS ${mb(empty.memory.rssBytes)}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'quanta-bench-idsync-'));
  try {
    const { preload, sample } = preloadIdentities(dataDir, records);
    log(`preloaded ${preload.records} profiles (${preload.identities} identities) in ${fmt(preload.seconds, 2)} s; state.sqlite ${mb(preload.stateSqliteBytes)}`);
    const quanta = await runQuanta(o, dataDir, records, sample, load);

    const report = formatReport(o, ceiling, empty, preload, quanta);
    console.log(report);

    const ops = Object.fromEntries(
      quanta.runs.map((r) => {
        const ratio = r.result.requestsPerS / ceiling.requestsPerS;
        return [
          r.operation,
          {
            ...figures(r.result),
            gcDuringRun: r.gc,
            eventLoopDelayMs: { p99: round(r.eventLoopDelay.p99Ms, 2), max: round(r.eventLoopDelay.maxMs, 2) },
            knownRequests: r.knownRequests,
            newRequests: r.newRequests,
            ratio,
            targets: {
              ratio: { min: TARGET_RATIO, met: ratio >= TARGET_RATIO },
              p99Ms: { max: TARGET_P99_MS, met: r.result.latency.p99 < TARGET_P99_MS },
            },
          },
        ];
      }),
    );

    saveResults('idsync', 'idsync', startedAt, o, {
      preload: { ...preload, identitiesPerRecord: IDENTITIES_PER_RECORD, chunk: CHUNK },
      newShare: NEW_SHARE,
      startup: { emptyDataDir: empty, preloaded: quanta.startup },
      memoryAfterLoad: quanta.memoryAfterLoad,
      ...(quanta.profile ? { profile: quanta.profile } : {}),
      ceiling: figures(ceiling),
      quanta: ops,
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Writes `records` profiles straight into `state.sqlite` with Quanta's own identity store, as
 * Quanta would have saved them: `{customer_id: cust-N, email: cust-N@example.com}` under a
 * random signed 64-bit MPID. The MPIDs are drawn first and written in key order (customers are
 * assigned to them in a random order), so SQLite appends to its B-tree instead of rewriting
 * random pages. Returns a few (customer number, MPID) pairs to check against.
 */
function preloadIdentities(dataDir: string, records: number): { preload: Preload; sample: Map<number, Mpid> } {
  const t0 = performance.now();
  const unique = new Set<Mpid>();
  while (unique.size < records) {
    const random = randomBytes(8 * Math.min(CHUNK, records - unique.size));
    for (let at = 0; at < random.length; at += 8) {
      const mpid = parseMpid(random.readBigInt64BE(at));
      if (mpid) unique.add(mpid);
    }
  }
  // identity_records' key is (workspace_id, mpid TEXT): SQLite compares TEXT bytewise, as `<` does for ASCII.
  const mpids = [...unique].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  unique.clear();
  const customers = Uint32Array.from({ length: records }, (_, i) => i);
  for (let i = records - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = customers[i]!;
    customers[i] = customers[j]!;
    customers[j] = t;
  }
  const sample = new Map<number, Mpid>();
  const sampled = (n: number) => n === 0 || n === records - 1 || n % 99_991 === 0;
  const ws = workspaceId(1);
  const store = new SqliteIdentityStore(join(dataDir, 'state.sqlite'));
  const now = Date.now();
  let lastReport = performance.now();
  try {
    for (let start = 0; start < records; start += CHUNK) {
      const chunk: IdentityRecord[] = [];
      for (let i = start; i < Math.min(start + CHUNK, records); i++) {
        const n = customers[i]!;
        const mpid = mpids[i]!;
        if (sampled(n)) sample.set(n, mpid);
        chunk.push({
          workspaceId: ws,
          mpid,
          identities: { customer_id: `cust-${n}`, email: `cust-${n}@example.com` },
          createdAtMs: now,
          updatedAtMs: now,
        });
      }
      void store.save(chunk, []); // synchronous underneath (better-sqlite3)
      if (performance.now() - lastReport > 5000) {
        lastReport = performance.now();
        log(`  preloaded ${start + chunk.length} / ${records} profiles`);
      }
    }
  } finally {
    void store.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  let bytes = 0;
  for (const f of ['state.sqlite', 'state.sqlite-wal']) {
    try {
      bytes += statSync(join(dataDir, f)).size;
    } catch {
      // no WAL left after a clean close
    }
  }
  return { preload: { records, identities: records * IDENTITIES_PER_RECORD, seconds, stateSqliteBytes: bytes }, sample };
}

async function runCeiling(drive: (port: number) => Promise<LoadResult>): Promise<LoadResult> {
  const child = new Child('ceiling server', ['--import', 'tsx', join(ROOT, 'bench', 'lib', 'ceiling-server.ts')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', CEILING_STATUS: '200', CEILING_BODY: CEILING_ANSWER },
  });
  try {
    const port = Number((await child.waitForOutput(/ready (\d+)/, 30_000))[1]);
    log(`ceiling (node:http + JSON.parse, 200 + small JSON) on port ${port}: driving...`);
    return await drive(port);
  } finally {
    await child.stop();
  }
}

function quantaEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('QUANTA_') && !['HOST', 'PORT', 'LOG_LEVEL'].includes(k)) env[k] = v;
  }
  return Object.assign(env, {
    HOST: '127.0.0.1',
    PORT: String(port),
    QUANTA_DATA_DIR: dataDir,
    QUANTA_API_KEY: API_KEY,
    QUANTA_API_SECRET: API_SECRET,
    QUANTA_RATE_LIMIT: '0',
    LOG_LEVEL: 'warn',
  });
}

/** Spawns Quanta on `dataDir` and waits for `GET /healthz`; the time is spawn -> first 200. */
async function startQuanta(dataDir: string, timeoutMs: number, nodeArgs: string[] = []): Promise<{ child: Child; base: string; startup: Startup }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = new Child('quanta', [...nodeArgs, '--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: quantaEnv(dataDir, port) });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForJson<{ status: string }>(`${base}/healthz`, (b) => b.status === 'ok', { timeoutMs, intervalMs: 20, child });
    const readyS = (performance.now() - t0) / 1000;
    return { child, base, startup: { readyS, memory: await memory(base, child) } };
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
}

async function startupOfEmptyQuanta(): Promise<Startup> {
  const dataDir = mkdtempSync(join(tmpdir(), 'quanta-bench-empty-'));
  try {
    const { child, startup } = await startQuanta(dataDir, 60_000);
    await child.stop('SIGTERM');
    return startup;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runQuanta(
  o: IdsyncOptions,
  dataDir: string,
  records: number,
  sample: Map<number, Mpid>,
  load: (port: number, operation: Operation, bodies: IdentityBodies) => Promise<LoadResult>,
): Promise<QuantaRun> {
  log(`starting quanta on the preloaded data dir ${dataDir}...`);
  const profDir = o.cpuProf ? mkdtempSync(join(tmpdir(), 'quanta-bench-prof-')) : undefined;
  const { child, base, startup } = await startQuanta(dataDir, 600_000, profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []);
  try {
    log(`quanta ready in ${fmt(startup.readyS, 2)} s, RSS ${mb(startup.memory.rssBytes)}, peak RSS ${mbOrNa(startup.memory.peakRssBytes)}`);
    await preflight(base, sample);
    const port = Number(new URL(base).port);
    const runs: OperationRun[] = [];
    const newCustomers = { next: records };
    for (const operation of OPERATIONS) {
      log(`quanta: driving /identity/v1/${operation}...`);
      const bodies = new IdentityBodies(records, newCustomers);
      const gcBefore = gcOf(await metricsText(base));
      const result = await load(port, operation, bodies);
      if (!child.running) throw new Error(`quanta exited during the load:\n${child.output()}`);
      const after = await metricsText(base);
      const gcAfter = gcOf(after);
      const eventLoopDelay = {
        p99Ms: sumCounter(after, 'quanta_nodejs_eventloop_lag_p99_seconds') * 1000,
        maxMs: sumCounter(after, 'quanta_nodejs_eventloop_lag_max_seconds') * 1000,
      };
      const gc = {
        seconds: gcAfter.seconds - gcBefore.seconds,
        majorSeconds: gcAfter.majorSeconds - gcBefore.majorSeconds,
        majorCount: gcAfter.majorCount - gcBefore.majorCount,
      };
      runs.push({ operation, result, gc, eventLoopDelay, knownRequests: bodies.known, newRequests: bodies.fresh });
    }
    const memoryAfterLoad = await memory(base, child);
    const code = await child.stop('SIGTERM');
    if (code !== 0) log(`warning: quanta exited with code ${code}:\n${child.output()}`);
    return { startup, runs, memoryAfterLoad, ...(profDir ? { profile: keepProfile(profDir) } : {}) };
  } finally {
    await child.stop('SIGTERM');
    if (profDir) rmSync(profDir, { recursive: true, force: true });
  }
}

/** Copies the biggest `.cpuprofile` to bench/results and summarizes it (start-up included). */
function keepProfile(profDir: string): QuantaRun['profile'] {
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  const biggest = files.map((f) => join(profDir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!biggest) {
    log('warning: no .cpuprofile was written');
    return undefined;
  }
  mkdirSync(RESULTS, { recursive: true });
  const kept = join(RESULTS, `quanta-idsync-${Date.now()}.cpuprofile`);
  copyFileSync(biggest, kept);
  return { file: kept, top: topSelfTime(kept, 20) };
}

/** Checks a few preloaded customers resolve to their preloaded MPIDs, so a bad preload fails loudly. */
async function preflight(base: string, sample: Map<number, Mpid>): Promise<void> {
  for (const [n, mpid] of sample) {
    for (const operation of OPERATIONS) {
      const res = await fetch(`${base}/identity/v1/${operation}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: BASIC_AUTH },
        body: IdentityBodies.body(n),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`quanta refused the benchmark body: HTTP ${res.status} ${text.slice(0, 1000)}`);
      const got = (JSON.parse(text) as { mpid?: string }).mpid;
      if (got !== mpid) throw new Error(`${operation} of preloaded cust-${n} answered mpid ${got}, expected ${mpid}: the preload was not loaded`);
    }
  }
}

const metricsText = async (base: string) => (await fetch(`${base}/metrics`)).text();

function gcOf(text: string): Gc {
  const gc: Gc = { seconds: 0, majorSeconds: 0, majorCount: 0 };
  for (const line of text.split('\n')) {
    const m = /^quanta_nodejs_gc_duration_seconds_(sum|count)\{kind="(\w+)"\} (\S+)$/.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (m[1] === 'sum') gc.seconds += value;
    if (m[2] === 'major') {
      if (m[1] === 'sum') gc.majorSeconds += value;
      else gc.majorCount += value;
    }
  }
  return gc;
}

async function memory(base: string, child: Child): Promise<Memory> {
  const text = await metricsText(base);
  let peakRssBytes: number | null = null;
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.proc.pid}/status`, 'utf8'));
    if (m) peakRssBytes = Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return {
    rssBytes: sumCounter(text, 'quanta_process_resident_memory_bytes'),
    heapUsedBytes: sumCounter(text, 'quanta_nodejs_heap_size_used_bytes'),
    peakRssBytes,
  };
}

function figures(r: LoadResult) {
  return {
    seconds: round(r.elapsedS, 3),
    requests: r.requests,
    ok: r.ok,
    non200: r.notOk + r.errors,
    errors: r.errors,
    statuses: r.statuses,
    samples: r.samples,
    requestsPerS: round(r.requestsPerS, 1),
    latencyMs: Object.fromEntries(Object.entries(r.latency).map(([k, v]) => [k, round(v, 3)])),
  };
}

function formatReport(o: IdsyncOptions, ceiling: LoadResult, empty: Startup, preload: Preload, quanta: QuantaRun): string {
  const line = (label: string, r: LoadResult) =>
    `${label.padEnd(34)}${fmt(r.requestsPerS, 0).padStart(8)} req/s, p50 ${fmt(r.latency.p50, 2)} ms, p99 ${fmt(r.latency.p99, 2)} ms, ` +
    `non-200: ${r.notOk + r.errors}`;
  const s = quanta.startup;
  const lines = [
    '',
    `idsync: ${o.connections} connections, ${fmt(preload.identities, 0)} identities preloaded (${fmt(preload.records, 0)} profiles x ` +
      `${IDENTITIES_PER_RECORD}: customer_id + email), ${NEW_SHARE * 100}% new customers, ${o.duration} s measured after ` +
      `${o.warmup} s warm-up, ${cpus().length} CPUs`,
    `preload (SqliteIdentityStore.save, ${CHUNK} per chunk): ${fmt(preload.seconds, 2)} s, state.sqlite ${mb(preload.stateSqliteBytes)}`,
    `start-up (spawn -> /healthz 200): ${fmt(s.readyS, 2)} s with the preload, ${fmt(empty.readyS, 2)} s empty`,
    `memory: RSS ${mb(s.memory.rssBytes)} after start-up (peak ${mbOrNa(s.memory.peakRssBytes)}, heap used ${mb(s.memory.heapUsedBytes)}), ` +
      `${mb(empty.memory.rssBytes)} empty; RSS ${mb(quanta.memoryAfterLoad.rssBytes)} after the load ` +
      `(peak ${mbOrNa(quanta.memoryAfterLoad.peakRssBytes)}, heap used ${mb(quanta.memoryAfterLoad.heapUsedBytes)})`,
    line('ceiling (node:http + JSON.parse):', ceiling),
  ];
  for (const r of quanta.runs) {
    const ratio = r.result.requestsPerS / ceiling.requestsPerS;
    const p99 = r.result.latency.p99;
    lines.push(
      line(`quanta /identity/v1/${r.operation}:`, r.result) +
        `\n  ${r.operation} / ceiling: ${fmt(ratio * 100, 1)}% (target >= ${TARGET_RATIO * 100}%)${ratio >= TARGET_RATIO ? '' : '  MISSED'}; ` +
        `p99 ${fmt(p99, 2)} ms (target < ${TARGET_P99_MS} ms)${p99 < TARGET_P99_MS ? '' : '  MISSED'}; ` +
        `GC ${fmt(r.gc.seconds * 1000, 0)} ms in ${o.warmup + o.duration} s (${r.gc.majorCount} major: ${fmt(r.gc.majorSeconds * 1000, 0)} ms); ` +
        `event-loop delay p99 ${fmt(r.eventLoopDelay.p99Ms, 1)} ms, max ${fmt(r.eventLoopDelay.maxMs, 1)} ms`,
    );
    if (r.result.samples.length) lines.push(`  ${r.operation} non-200 samples:\n    ${r.result.samples.join('\n    ')}`);
  }
  if (ceiling.samples.length) lines.push(`ceiling non-200 samples:\n  ${ceiling.samples.join('\n  ')}`);
  if (quanta.profile) {
    lines.push(`quanta CPU profile (${quanta.profile.file}; start-up and both loads), top self time:`);
    for (const t of quanta.profile.top) {
      lines.push(`  ${fmt(t.percent, 1).padStart(5)}%  ${fmt(t.ms, 0).padStart(7)} ms  ${t.fn}  ${t.where}`);
    }
  }
  return lines.join('\n');
}

const round = (n: number, digits: number) => (Number.isFinite(n) ? Number(n.toFixed(digits)) : null);
const fmt = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const mbOrNa = (bytes: number | null) => (bytes === null ? 'n/a' : mb(bytes));
