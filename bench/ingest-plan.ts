import { cpus } from 'node:os';
import { parseBatch } from '../src/model/batch-parser.ts';
import { compilePlanVersion } from '../src/planning/plan-compiler.ts';
import { validateBatch } from '../src/planning/validate.ts';
import {
  fmt,
  driveBulk,
  figures,
  type IngestOptions,
  kb,
  lagText,
  loadLine,
  log,
  notOk,
  profileLines,
  type QuantaRun,
  quantaFigures,
  runCeiling,
  runQuanta,
  type Target,
  threadCpuText,
} from './ingest.ts';
import {
  BENCH_PLAN_ID,
  BENCH_PLAN_VERSION,
  benchPlanBody,
  benchPlanContext,
  benchPlanDocument,
  EVENT_VIOLATION_RATE,
  plannedShape,
  USER_ATTRIBUTE_VIOLATION_RATE,
} from './lib/bench-plan.ts';
import { BodyPool, type BodyStats } from './lib/bodies.ts';
import { CLIENT_ID, CLIENT_SECRET, saveResults, WORKSPACE_ID } from './lib/setup.ts';
import { quantile } from './lib/stats.ts';

/**
 * `npm run bench -- ingest --plan`: the ingest benchmark run twice on Quanta in the same run, on
 * a fresh data dir each, first with no plan, then with a 100-point data plan enforced (created
 * through the Data Planning API, every batch naming it). Both runs send the same events; only the
 * planned run's batches carry `context.data_plan`. Target: planned throughput at least 85% of
 * unplanned.
 */

const TARGET_PLANNED_RATIO = 0.85;

interface Round {
  unplanned: QuantaRun;
  planned: QuantaRun;
}

/** The run with the median events/s (the lower middle one of an even count). */
function medianRun(runs: QuantaRun[]): QuantaRun {
  const sorted = [...runs].sort((a, b) => a.result.eventsPerS - b.result.eventsPerS);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export async function runPlannedIngest(o: IngestOptions): Promise<void> {
  const startedAt = new Date();
  log(`generating bodies from the plan's data points (${o.batches} batches x ${o.events} events per request)...`);
  const options = { batchesPerRequest: o.batches, eventsPerBatch: o.events };
  const unplannedPool = new BodyPool({ ...options, shape: plannedShape() });
  const plannedPool = new BodyPool({ ...options, shape: plannedShape(benchPlanContext()) });
  const u = unplannedPool.stats;
  const p = plannedPool.stats;
  log(
    `${p.poolSize} bodies each, ${p.distinctUsers} distinct users, avg ${kb(u.avgRequestBytes)} per request without the plan, ` +
      `${kb(p.avgRequestBytes)} with it; ${violationSummary(p)}`,
  );
  const findings = checkPoolAgainstPlan(plannedPool);
  log(`the plan's validator finds ${findings} violations in the planned bodies, as intended`);

  const ceiling = await runCeiling(driveBulk(o, unplannedPool, { warmupS: o.warmup }));
  const rounds: Round[] = [];
  for (let r = 1; r <= o.rounds; r++) {
    const of = o.rounds > 1 ? ` (round ${r} of ${o.rounds})` : '';
    const runUnplanned = () => runQuanta(o, unplannedPool, driveBulk(o, unplannedPool), { label: `quanta unplanned${of}` });
    const runPlanned = () => runQuanta(o, plannedPool, driveBulk(o, plannedPool), { label: `quanta planned${of}`, prepare: createBenchPlan });
    // Alternating the order spreads whatever else the machine does over both kinds of run.
    if (r % 2 === 1) {
      const unplanned = await runUnplanned();
      rounds.push({ unplanned, planned: await runPlanned() });
    } else {
      const planned = await runPlanned();
      rounds.push({ unplanned: await runUnplanned(), planned });
    }
  }
  const unplanned = medianRun(rounds.map((r) => r.unplanned));
  const planned = medianRun(rounds.map((r) => r.planned));

  const ratio = planned.result.eventsPerS / unplanned.result.eventsPerS;
  console.log(formatReport(o, u, p, ceiling, rounds, unplanned, planned, ratio));

  saveResults('ingest --plan', 'ingest-plan', startedAt, o, {
    plan: {
      id: BENCH_PLAN_ID,
      version: BENCH_PLAN_VERSION,
      dataPoints: benchPlanDocument().data_points?.length ?? 0,
      eventViolationRate: EVENT_VIOLATION_RATE,
      userAttributeViolationRate: USER_ATTRIBUTE_VIOLATION_RATE,
    },
    bodies: { unplanned: u, planned: p },
    ceiling: figures(ceiling.result),
    unplanned: quantaFigures(unplanned),
    planned: { ...quantaFigures(planned), eventsNotStored: notStored(planned) },
    plannedVsUnplanned: ratio,
    rounds: rounds.map((r) => ({
      unplanned: quantaFigures(r.unplanned),
      planned: { ...quantaFigures(r.planned), eventsNotStored: notStored(r.planned) },
      plannedVsUnplanned: r.planned.result.eventsPerS / r.unplanned.result.eventsPerS,
    })),
    unplannedVsCeiling: unplanned.result.eventsPerS / ceiling.result.eventsPerS,
    targets: { plannedVsUnplanned: { min: TARGET_PLANNED_RATIO, met: ratio >= TARGET_PLANNED_RATIO } },
  });
}

/**
 * Checks every planned body against the plan with Quanta's own batch parser and validator (what
 * `POST .../plans/validate` runs), in the bench process before any target starts: each batch
 * must get exactly as many validation results as the parts the generator broke on purpose, so a
 * generator that drifts from the plan fails here instead of measuring something else.
 */
function checkPoolAgainstPlan(pool: BodyPool): number {
  const plan = compilePlanVersion(benchPlanDocument());
  let findings = 0;
  let body = 0;
  for (const { batches, violating } of pool.bodies()) {
    for (const [i, raw] of batches.entries()) {
      const parsed = parseBatch(raw, `body ${body} batch ${i}`);
      if (!parsed.ok) throw new Error(`bench bug: Quanta refuses a planned batch: ${JSON.stringify(parsed.problems).slice(0, 1000)}`);
      const { results } = validateBatch(plan, parsed.batch);
      const want = violating[i] ?? 0;
      if (results.length !== want) {
        throw new Error(
          `bench bug: body ${body} batch ${i} should break the plan ${want} time(s), the validator reports ${results.length}:\n` +
            JSON.stringify(results, null, 1).slice(0, 3000),
        );
      }
      findings += results.length;
    }
    body++;
  }
  return findings;
}

/** Creates the plan through the Data Planning API with a Bearer token from `/oauth/token`. */
export async function createBenchPlan(base: string): Promise<void> {
  const token = await call<{ access_token: string }>(base, '/oauth/token', undefined, {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    audience: 'https://api.mparticle.com',
    grant_type: 'client_credentials',
  });
  const plan = await call<{ data_plan_versions?: { version: number; version_document?: { data_points?: unknown[] } }[] }>(
    base,
    `/platform/v2/workspaces/${WORKSPACE_ID}/plans`,
    `Bearer ${token.access_token}`,
    benchPlanBody(),
  );
  const points = plan.data_plan_versions?.find((v) => v.version === BENCH_PLAN_VERSION)?.version_document?.data_points?.length;
  const expected = benchPlanDocument().data_points?.length;
  if (points !== expected) throw new Error(`the plan Quanta stored has ${String(points)} data points in version ${BENCH_PLAN_VERSION}, not ${String(expected)}`);
  log(`plan ${BENCH_PLAN_ID} v${BENCH_PLAN_VERSION} created through the Data Planning API (${points} data points)`);
}

async function call<T>(base: string, path: string, authorization: string | undefined, body: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST ${path}: HTTP ${res.status} ${text.slice(0, 1000)}`);
  return JSON.parse(text) as T;
}

/** Quanta's CPU per event accepted (ingest and processing, every thread), median over the rounds. */
function cpuLine(rounds: Round[]): string {
  const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
  const u = median(rounds.map((r) => r.unplanned.cpuUsPerEvent));
  const p = median(rounds.map((r) => r.planned.cpuUsPerEvent));
  return `CPU per event accepted, load start to caught up (median): unplanned ${fmt(u, 1)} µs, planned ${fmt(p, 1)} µs (planned / unplanned ${fmt((p / u) * 100, 1)}%)`;
}

/** Events accepted but never observed reaching the event store: what the plan blocked, if enforced. */
const notStored = (run: QuantaRun) => (run.lag ? run.eventsAcceptedMetric - run.lag.count : null);

function violationSummary(s: BodyStats): string {
  const v = s.violations;
  const events = (v.unplanned_event ?? 0) + (v.unplanned_attribute ?? 0) + (v.wrong_type ?? 0);
  return (
    `${events} of ${s.events} events (${fmt((events / s.events) * 100, 1)}%) break the plan ` +
    `(unplanned event ${v.unplanned_event ?? 0}, unplanned attribute ${v.unplanned_attribute ?? 0}, wrong type ${v.wrong_type ?? 0}), ` +
    `${v.unplanned_user_attribute ?? 0} of ${s.batches} batches carry an unplanned user attribute`
  );
}

function formatReport(
  o: IngestOptions,
  u: BodyStats,
  p: BodyStats,
  ceiling: Target,
  rounds: Round[],
  unplanned: QuantaRun,
  planned: QuantaRun,
  ratio: number,
): string {
  const median = rounds.length > 1 ? `, median of ${rounds.length}` : '';
  const lagLine = (kind: string, run: QuantaRun) => {
    const label = `processing lag, ${kind}:`.padEnd(30);
    if (!run.lag) return `${label}quanta_processing_lag_seconds not found in /metrics`;
    const missing = run.eventsAcceptedMetric - run.lag.count;
    return (
      `${label}${lagText(run.lag)}; ${run.lag.count} events stored of ${run.eventsAcceptedMetric} accepted` +
      `${missing > 0 ? ` (${missing} not stored)` : ''}, caught up ${fmt(run.drainS, 1)} s after the load stopped`
    );
  };
  const stages = (run: QuantaRun) =>
    Object.entries(run.stageOutcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none reported';
  const planCounters = Object.entries(planned.planCounters).map(([k, n]) => `${k} ${n}`);
  const lines = [
    '',
    `ingest --plan: ${o.connections} connections, ${o.batches} batches x ${o.events} events per request (${p.eventsPerRequest} events, ` +
      `avg ${kb(u.avgRequestBytes)} unplanned / ${kb(p.avgRequestBytes)} planned), ${o.duration} s measured after ${o.warmup} s warm-up, ` +
      `${cpus().length} CPUs`,
    `plan ${BENCH_PLAN_ID} v${BENCH_PLAN_VERSION}: ${benchPlanDocument().data_points?.length ?? 0} data points, unplanned events and attributes blocked; ` +
      violationSummary(p),
    loadLine('ceiling (node:http + JSON.parse):', ceiling.result, notOk(ceiling.result)),
    ...(rounds.length > 1
      ? rounds.map(
          (r, i) =>
            `round ${i + 1} (${i % 2 === 0 ? 'unplanned first' : 'planned first'}): unplanned ${fmt(r.unplanned.result.eventsPerS, 0)} events/s, ` +
            `planned ${fmt(r.planned.result.eventsPerS, 0)} events/s, planned / unplanned ${fmt((r.planned.result.eventsPerS / r.unplanned.result.eventsPerS) * 100, 1)}%, ` +
            `CPU per event ${fmt(r.unplanned.cpuUsPerEvent, 1)} / ${fmt(r.planned.cpuUsPerEvent, 1)} µs`,
        )
      : []),
    loadLine(`quanta unplanned (durable${median}):`, unplanned.result, `, non-202: ${unplanned.result.notOk + unplanned.result.errors}`),
    loadLine(`quanta planned (durable${median}):`, planned.result, `, non-202: ${planned.result.notOk + planned.result.errors}`),
    `planned / unplanned: ${fmt(ratio * 100, 1)}%  (target >= ${TARGET_PLANNED_RATIO * 100}%)${ratio >= TARGET_PLANNED_RATIO ? '' : '  MISSED'}` +
      `;  unplanned / ceiling: ${fmt((unplanned.result.eventsPerS / ceiling.result.eventsPerS) * 100, 1)}%, ` +
      `planned / ceiling: ${fmt((planned.result.eventsPerS / ceiling.result.eventsPerS) * 100, 1)}%`,
    lagLine('unplanned', unplanned),
    lagLine('planned', planned),
    cpuLine(rounds),
    `unplanned (median run): ${threadCpuText(unplanned)}`,
    `planned (median run):   ${threadCpuText(planned)}`,
    `processor stage outcomes, unplanned: ${stages(unplanned)}`,
    `processor stage outcomes, planned:   ${stages(planned)}`,
    `data-plan counters, planned: ${planCounters.length ? planCounters.join(', ') : 'none in /metrics'}`,
  ];
  for (const run of rounds.flatMap((r) => [r.unplanned, r.planned])) {
    if (run.result.samples.length) lines.push(`${run.name} non-202 samples:\n  ${run.result.samples.join('\n  ')}`);
  }
  if (ceiling.result.samples.length) lines.push(`ceiling non-202 samples:\n  ${ceiling.result.samples.join('\n  ')}`);
  lines.push(...rounds.flatMap((r) => [...profileLines(r.unplanned), ...profileLines(r.planned)]));
  return lines.join('\n');
}
