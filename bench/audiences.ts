import { cpus } from 'node:os';
import { request } from 'node:http';
import { benchAudienceAttributes, benchAudiences, PROBE_AUDIENCE, PROBE_EVENT } from './lib/bench-audiences.ts';
import { BodyPool } from './lib/bodies.ts';
import type { LoadResult } from './lib/load.ts';
import { BASIC_AUTH, bearer, saveResults, WORKSPACE_ID } from './lib/setup.ts';
import { summarize } from './lib/stats.ts';
import { fmt, type IngestOptions, log, runQuanta } from './ingest.ts';
import { runPaired } from './paired.ts';
import { runStandardAudience, type StandardAudienceOptions } from './standard-audience.ts';

/**
 * `npm run bench -- audiences`:
 * 1. End-to-end throughput (events acknowledged and processed) with 100 active real-time
 *    audiences of mixed criteria (`lib/bench-audiences.ts`, with the two calculated attributes
 *    they read), next to the same run's throughput with none, alternating. Target: at least 60%.
 *    CPU per event for both.
 * 2. At half the throughput measured with the audiences (an open-loop, paced load), probe users
 *    send a qualifying event: the time from its 202 to the user's membership in the Profile API
 *    (polled every 10 ms). Target: p99 under 1 s.
 * 3. A standard audience over `--stored` events (10M) vs the hand-written DuckDB query for it
 *    (`standard-audience.ts`). Target: within 1.5x.
 */

export interface AudiencesOptions extends IngestOptions, StandardAudienceOptions {}

const TARGET_RATIO = 0.6;
const TARGET_P99_MS = 1000;
const PROBE_EVERY_MS = 100;

export async function runAudiences(o: AudiencesOptions): Promise<void> {
  const startedAt = new Date();
  const pool = new BodyPool({ batchesPerRequest: o.batches, eventsPerBatch: o.events });
  log(`${pool.stats.poolSize} bodies, ${pool.stats.distinctUsers} distinct users`);
  const paired = await runPaired(o, pool, { label: '100 audiences', prepare: activateAll, targetRatio: TARGET_RATIO });
  const hundred = paired.withMedian;
  const rate = hundred / 2;
  const probes: number[] = [];
  const latencyRun = await runQuanta({ ...o, warmup: 0 }, pool, paced(o, pool, rate, probes), { label: `quanta, 100 audiences, paced at ${fmt(rate, 0)} events/s`, prepare: activateAll });
  const latency = summarize(probes);
  const standard = await runStandardAudience(o);
  const lines = [
    '',
    `audiences: ${o.connections} connections, ${o.batches} batches x ${o.events} events per request, ${o.duration} s per run, ${o.rounds} rounds, ${cpus().length} CPUs`,
    ...paired.lines,
    `qualifying event's 202 to membership in the Profile API, at ${fmt(latencyRun.result.eventsPerS, 0)} events/s (half of ${fmt(hundred, 0)}), ${probes.length} probes: ` +
      `p50 ${fmt(latency.p50, 0)} ms, p99 ${fmt(latency.p99, 0)} ms, max ${fmt(latency.max, 0)} ms (target p99 < ${TARGET_P99_MS} ms)${latency.p99 < TARGET_P99_MS ? '' : '  MISSED'}`,
    `  its slowest stage flushes (p99, slowest at most): ${latencyRun.flushes.slice(0, 4).map((f) => `${f.stage} ${f.p99Ms} / ${f.maxAtMostMs} ms`).join(', ')}`,
    ...standard.lines,
    ...paired.profiles,
  ];
  console.log(lines.join('\n'));
  saveResults('audiences', 'audiences', startedAt, o, {
    none: paired.figures.none,
    hundred: paired.figures.with,
    ratio: paired.ratio,
    latency: { eventsPerS: latencyRun.result.eventsPerS, probes: probes.length, ...latency, flushes: latencyRun.flushes },
    standard: standard.figures,
    targets: { ratio: { min: TARGET_RATIO, met: paired.ratio >= TARGET_RATIO }, p99Ms: { max: TARGET_P99_MS, met: latency.p99 < TARGET_P99_MS } },
  });
}

/** Creates and activates the calculated attributes and the 100 audiences through the Platform API. */
export async function activateAll(base: string): Promise<void> {
  const authorization = await bearer(base);
  const headers = { authorization, 'content-type': 'application/json' };
  const post = async (url: string, body?: unknown) => {
    const res = await fetch(url, { method: 'POST', headers: body === undefined ? { authorization } : headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : ((await res.json()) as unknown);
  };
  const workspace = `${base}/platform/v2/workspaces/${WORKSPACE_ID}`;
  for (const attribute of benchAudienceAttributes(Date.now())) {
    const id = Number(await post(`${workspace}/calculatedattributes`, attribute));
    await post(`${workspace}/calculatedattributes/${id}/activation`);
  }
  const ids: number[] = [];
  for (const audience of benchAudiences()) {
    const { id } = (await post(`${workspace}/audiences`, audience)) as { id: number };
    await post(`${workspace}/audiences/${id}/activation`);
    ids.push(id);
  }
  // Measured once every audience is calculated (decided live from then on).
  const deadline = Date.now() + 120_000;
  for (const id of ids) {
    for (;;) {
      const res = await fetch(`${workspace}/audiences/${id}/activation`, { headers: { authorization } });
      const status = ((await res.json()) as { calculation: { status: string } | null }).calculation?.status;
      if (status === 'calculated') break;
      if (Date.now() > deadline) throw new Error(`audience ${id} was not calculated within 120 s (${status})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * An open-loop load at `eventsPerS` (requests sent on schedule, whatever the answers), with a probe
 * user every {@link PROBE_EVERY_MS}: its MPID from IDSync, then a batch with the probe event, then
 * the Profile API polled until it shows the probe audience; each probe's 202-to-membership time
 * goes to `probes`.
 */
export function paced(o: IngestOptions, pool: BodyPool, eventsPerS: number, probes: number[]): (port: number) => Promise<LoadResult> {
  return async (port) => {
    const base = `http://127.0.0.1:${port}`;
    const authorization = await bearer(base);
    const perRequest = pool.eventsPerRequest;
    const intervalMs = (1000 * perRequest) / eventsPerS;
    const start = performance.now();
    const end = start + o.duration * 1000;
    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let sent = 0;
    let ok = 0;
    let errors = 0;
    const inFlight = new Set<Promise<void>>();
    const send = () => {
      const t0 = performance.now();
      const p = post(port, '/v2/bulkevents', pool.next())
        .then((status) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status === 202) {
            ok += 1;
            latencies.push(performance.now() - t0);
          }
        })
        .catch(() => void (errors += 1))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      sent += 1;
    };
    let probe = 0;
    const probing: Promise<void>[] = [];
    let nextProbe = start;
    while (performance.now() < end) {
      const now = performance.now();
      while (start + sent * intervalMs <= now) send();
      if (now >= nextProbe) {
        probing.push(probeOnce(base, authorization, `probe-${process.pid}-${++probe}`).then((ms) => void probes.push(ms)));
        nextProbe += PROBE_EVERY_MS;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(inFlight);
    await Promise.all(probing);
    const elapsedS = (performance.now() - start) / 1000;
    return {
      elapsedS,
      requests: sent,
      ok,
      warmupOk: 0,
      notOk: sent - ok - errors,
      errors,
      statuses,
      samples: [],
      events: ok * perRequest,
      requestsPerS: ok / elapsedS,
      eventsPerS: (ok * perRequest) / elapsedS,
      latency: summarize(latencies),
    };
  };
}

/** One probe: its user's MPID, its qualifying batch, then the Profile API until the membership shows; ms from the 202. */
async function probeOnce(base: string, authorization: string, customer: string): Promise<number> {
  const identified = await fetch(`${base}/identity/v1/identify`, {
    method: 'POST',
    headers: { authorization: BASIC_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ environment: 'production', known_identities: { customerid: customer } }),
  });
  if (!identified.ok) throw new Error(`probe identify: HTTP ${identified.status} ${await identified.text()}`);
  const { mpid } = (await identified.json()) as { mpid: string };
  const batch = {
    environment: 'production',
    source_request_id: `${customer}-1`,
    user_identities: { customer_id: customer },
    events: [{ event_type: 'custom_event', data: { event_name: PROBE_EVENT, custom_event_type: 'other', timestamp_unixtime_ms: Date.now() } }],
  };
  const res = await fetch(`${base}/v2/events`, { method: 'POST', headers: { authorization: BASIC_AUTH, 'content-type': 'application/json' }, body: JSON.stringify(batch) });
  if (res.status !== 202) throw new Error(`probe batch: HTTP ${res.status} ${await res.text()}`);
  const acknowledged = performance.now();
  for (;;) {
    const profile = await fetch(`${base}/userprofile/v1/1/1/${WORKSPACE_ID}/${mpid}?fields=audience_memberships`, { headers: { authorization } });
    if (profile.ok) {
      const { audience_memberships: memberships } = (await profile.json()) as { audience_memberships: { audience_name: string }[] };
      if (memberships.some((m) => m.audience_name === PROBE_AUDIENCE)) return performance.now() - acknowledged;
    }
    if (performance.now() - acknowledged > 30_000) throw new Error(`probe ${customer}: no membership after 30 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function post(port: number, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', authorization: BASIC_AUTH, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
