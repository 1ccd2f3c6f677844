import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BodyPool, mulberry32, userBatchJson } from './lib/bodies.ts';
import type { LoadResult } from './lib/load.ts';
import { Child, cpuSeconds, freePort, sleep, waitForJson } from './lib/procs.ts';
import { BASIC_AUTH, bearer, ROOT, saveResults, WORKSPACE_ID } from './lib/setup.ts';
import { caughtUp, driveBulk, fmt, type IngestOptions, log, quantaEnv } from './ingest.ts';

/**
 * `npm run bench -- erasure`: data subject erasures under ingest load.
 *
 * 1. Seeds `--profiles` users with `--stored` events through `/v2/bulkevents` (every user
 *    `stored / profiles` events in one batch, identities `customerid` + `email`), and waits
 *    until the processor has caught up: profiles, identities, the log, the event store.
 * 2. Measures end-to-end ingest (events acknowledged and processed until the processor caught
 *    up) for `--duration` seconds with no erasures, then for `--duration` seconds while
 *    `--erasures` DSR v3 erasures (by customer id, `skip_waiting_period`) are submitted at the
 *    start, then with no erasures again; the runs with none bracket the one with (the data grows
 *    between them). Target: ingest during the erasures at least 80% of the mean without.
 * 3. Each erasure's time from its submission (the waiting period skipped: due at once) to
 *    `completed` in the group listing (polled every second). Target: every one within 60 s.
 */

export interface ErasureOptions extends IngestOptions {
  profiles: number;
  stored: number;
  erasures: number;
}

const TARGET_RATIO = 0.8;
const TARGET_COMPLETION_S = 60;
const GROUP = 'bench-erasure';

export async function runErasure(o: ErasureOptions): Promise<void> {
  if (o.erasures > o.profiles) throw new Error('--erasures must be at most --profiles');
  const startedAt = new Date();
  const dataDir = mkdtempSync(join(tmpdir(), 'quanta-bench-erasure-'));
  const port = await freePort();
  const env = { ...quantaEnv(dataDir, port), QUANTA_DSR_REQUESTS_PER_MINUTE: '0', QUANTA_DSR_NEW_REQUESTS_PER_DAY: '0' };
  const child = new Child('quanta', [...(process.env.BENCH_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF_DIR] : []), '--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env });
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForJson<{ status: string }>(`${base}/healthz`, (b) => b.status === 'ok', { timeoutMs: 60_000, child });
    const seeded = await seed(o, base, child);
    // The load's users are the seeded ones (`cust-<n>`, n < profiles): erasures race their events.
    const pool = new BodyPool({ batchesPerRequest: o.batches, eventsPerBatch: o.events, users: o.profiles, seed: 7 });
    const none1 = await measure(o, pool, port, base, child, 'no erasures');
    const users = pickUsers(o);
    const sample = await mpidsOf(base, users.slice(0, 20));
    const erasing = startErasures(o, base, users);
    // Awaited after the measured load; a failure meanwhile must not go unhandled.
    erasing.catch(() => undefined);
    const withErasures = await measure(o, pool, port, base, child, `${o.erasures} erasures`);
    const completion = await erasing;
    const none2 = await measure(o, pool, port, base, child, 'no erasures, again');
    const noneMean = (none1.endToEnd + none2.endToEnd) / 2;
    const ratio = withErasures.endToEnd / noneMean;
    const checked = await spotCheck(base, sample);
    const timings = erasureTimings(await (await fetch(`${base}/metrics`)).text());
    const lines = [
      '',
      `erasure: ${o.profiles} profiles, ${seeded.events} stored events (seeded in ${fmt(seeded.seconds, 0)} s), ${o.erasures} erasures; ` +
        `load ${o.connections} connections, ${o.batches} batches x ${o.events} events per request, ${o.duration} s per run, ${cpus().length} CPUs`,
      `  no erasures:        ${line(none1)}`,
      `  during erasures:    ${line(withErasures)}`,
      `  no erasures, again: ${line(none2)}`,
      `ingest during erasures ${fmt(ratio * 100, 1)}% of the runs without (target >= ${TARGET_RATIO * 100}%)${ratio >= TARGET_RATIO ? '' : '  MISSED'}`,
      `erasures: all ${completion.completed} completed ${fmt(completion.allDoneS, 1)} s after the first was submitted (submitting took ${fmt(completion.submitS, 1)} s); ` +
        `submission to completed p50 ${fmt(completion.p50S, 1)} s, max ${fmt(completion.maxS, 1)} s (target <= ${TARGET_COMPLETION_S} s)${completion.maxS <= TARGET_COMPLETION_S && completion.completed === o.erasures ? '' : '  MISSED'}`,
      `spot check: ${checked.gone} of ${checked.checked} erased users answer 404 on the Profile API`,
      `erasure time by step (s, summed over chunks): ${timings.steps}`,
      `  by eraser (s): ${timings.erasers}`,
    ];
    console.log(lines.join('\n'));
    saveResults('erasure', 'erasure', startedAt, o, {
      seeded,
      none: [none1, none2].map(figuresOf),
      with: figuresOf(withErasures),
      ratio,
      completion,
      checked,
      timings,
      targets: { ratio: { min: TARGET_RATIO, met: ratio >= TARGET_RATIO }, completionS: { max: TARGET_COMPLETION_S, met: completion.maxS <= TARGET_COMPLETION_S } },
    });
  } catch (error) {
    log(`quanta's output:\n${child.output()}`);
    throw error;
  } finally {
    await child.stop('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Every user once, in bulk requests of `--batches` batches, until the processor has caught up. */
async function seed(o: ErasureOptions, base: string, child: Child): Promise<{ events: number; seconds: number }> {
  const perUser = Math.max(1, Math.round(o.stored / o.profiles));
  const rand = mulberry32(11);
  const now = Date.now();
  let user = 0;
  log(`seeding ${o.profiles} profiles x ${perUser} events (${Math.ceil(o.profiles / o.batches)} requests)...`);
  const t0 = Date.now();
  let reported = t0;
  let retried = 0;
  const next = () => {
    if (user >= o.profiles) return undefined;
    const batches: string[] = [];
    for (let i = 0; i < o.batches && user < o.profiles; i++, user++) batches.push(userBatchJson(rand, user, perUser, `seed-${user}`, now));
    if (Date.now() - reported > 10_000) {
      reported = Date.now();
      log(`  seeded ${user} of ${o.profiles} profiles`);
    }
    return `[${batches.join(',')}]`;
  };
  // A 5xx is tried again, as the SDKs do (the same source_request_ids: deduplicated if it had landed).
  const send = async (body: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(`${base}/v2/bulkevents`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: BASIC_AUTH }, body });
      const text = await res.text();
      if (res.status === 202) return;
      if (res.status < 500 || attempt === 5) throw new Error(`seeding: HTTP ${res.status} ${text}`);
      retried++;
      await sleep(100 * 2 ** attempt);
    }
  };
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      for (let body = next(); body !== undefined; body = next()) await send(body);
    }),
  );
  if (retried > 0) log(`seeding: ${retried} requests answered 5xx were sent again`);
  log('seeded; waiting for processing to catch up...');
  await caughtUp(base, child, 7200);
  return { events: o.profiles * perUser, seconds: (Date.now() - t0) / 1000 };
}

interface Measured {
  label: string;
  result: LoadResult;
  drainS: number;
  endToEnd: number;
  cpuUsPerEvent: number;
}

async function measure(o: ErasureOptions, pool: BodyPool, port: number, base: string, child: Child, label: string): Promise<Measured> {
  log(`${label}: driving /v2/bulkevents for ${o.duration} s...`);
  const cpu0 = cpuSeconds(child.proc.pid);
  const result = await driveBulk(o, pool)(port);
  const t0 = Date.now();
  await caughtUp(base, child, o.drainTimeout);
  const drainS = (Date.now() - t0) / 1000;
  const cpuUsPerEvent = ((cpuSeconds(child.proc.pid) - cpu0) * 1e6) / result.events;
  return { label, result, drainS, endToEnd: result.events / (result.elapsedS + drainS), cpuUsPerEvent };
}

const line = (m: Measured) =>
  `${fmt(m.endToEnd, 0)} events/s end to end (acknowledged ${fmt(m.result.eventsPerS, 0)}/s, caught up ${fmt(m.drainS, 1)} s after), CPU ${fmt(m.cpuUsPerEvent, 1)} µs per event (erasures' work included)`;
const figuresOf = (m: Measured) => ({ label: m.label, eventsPerS: m.result.eventsPerS, drainS: m.drainS, endToEndEventsPerS: m.endToEnd, cpuUsPerEvent: m.cpuUsPerEvent, notOk: m.result.notOk, errors: m.result.errors });

/**
 * Submits the erasures (8 at a time) for the users, then polls the group
 * listing every second until all are completed; each one's time from its submission to the poll
 * that first saw it completed.
 */
async function startErasures(o: ErasureOptions, base: string, users: readonly number[]) {
  const queue = [...users];
  const submittedAt = new Map<string, number>();
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let u = queue.pop(); u !== undefined; u = queue.pop()) {
        const id = randomUUID();
        const body = {
          regulation: 'gdpr',
          subject_request_id: id,
          subject_request_type: 'erasure',
          submitted_time: new Date().toISOString(),
          skip_waiting_period: true,
          group_id: GROUP,
          subject_identities: { controller_customer_id: { value: `cust-${u}`, encoding: 'raw' } },
          api_version: '3.0',
        };
        const res = await fetch(`${base}/opendsr/v3/requests`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: BASIC_AUTH }, body: JSON.stringify(body) });
        if (res.status !== 201) throw new Error(`DSR submit: HTTP ${res.status} ${await res.text()}`);
        submittedAt.set(id, Date.now());
      }
    }),
  );
  const submitS = (Date.now() - t0) / 1000;
  log(`${o.erasures} erasures submitted in ${submitS.toFixed(1)} s; waiting for them to complete...`);
  const completedAt = new Map<string, number>();
  while (completedAt.size < o.erasures) {
    if (Date.now() - t0 > 3600_000) throw new Error(`erasures: only ${completedAt.size} of ${o.erasures} completed after an hour`);
    await sleep(1000);
    const res = await fetch(`${base}/opendsr/v3/requests?group_id=${GROUP}`, { headers: { authorization: BASIC_AUTH } });
    const listed = (await res.json()) as { subject_request_id: string; request_status: string }[];
    const now = Date.now();
    for (const r of listed) if (r.request_status === 'completed' && !completedAt.has(r.subject_request_id)) completedAt.set(r.subject_request_id, now);
  }
  const times = [...completedAt].map(([id, at]) => (at - submittedAt.get(id)!) / 1000).sort((a, b) => a - b);
  return {
    completed: completedAt.size,
    submitS,
    allDoneS: (Math.max(...completedAt.values()) - t0) / 1000,
    p50S: times[Math.floor((times.length - 1) / 2)]!,
    maxS: times.at(-1)!,
  };
}

/** The sums of Quanta's erasure histograms, by step and by eraser, as text. */
function erasureTimings(metrics: string): { steps: string; erasers: string } {
  const sums = (name: string, label: string) =>
    [...metrics.matchAll(new RegExp(`^${name}_sum\\{${label}="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => `${m[1]} ${Number(m[2]).toFixed(1)}`).join(', ');
  return { steps: sums('quanta_erasure_step_seconds', 'step'), erasers: sums('quanta_erasure_seconds', 'eraser') };
}

/** `--erasures` distinct seeded users, at random. */
function pickUsers(o: ErasureOptions): number[] {
  const rand = mulberry32(23);
  const users = new Set<number>();
  while (users.size < o.erasures) users.add(Math.floor(rand() * o.profiles));
  return [...users];
}

/** The MPIDs of seeded users, by IDSync search (which creates nothing), before they are erased. */
async function mpidsOf(base: string, users: readonly number[]): Promise<string[]> {
  const mpids: string[] = [];
  for (const u of users) {
    const res = await fetch(`${base}/identity/v1/search`, {
      method: 'POST',
      headers: { authorization: BASIC_AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ environment: 'production', known_identities: { customerid: `cust-${u}` } }),
    });
    if (!res.ok) throw new Error(`search cust-${u}: HTTP ${res.status} ${await res.text()}`);
    mpids.push(((await res.json()) as { mpid: string }).mpid);
  }
  return mpids;
}

/** Erased users' profiles by MPID on the Profile API: each must be gone (404), even with the load's new events for their identities. */
async function spotCheck(base: string, mpids: readonly string[]): Promise<{ checked: number; gone: number }> {
  const authorization = await bearer(base);
  let gone = 0;
  for (const mpid of mpids) {
    const res = await fetch(`${base}/userprofile/v1/1/1/${WORKSPACE_ID}/${mpid}?fields=user_identities`, { headers: { authorization } });
    if (res.status === 404) gone++;
  }
  return { checked: mpids.length, gone };
}
