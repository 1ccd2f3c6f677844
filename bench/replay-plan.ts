import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchPlan } from './ingest-plan.ts';
import { driveBulk, fmt, type IngestOptions, log, quantaEnv, runQuanta } from './ingest.ts';
import { benchPlanContext, plannedShape } from './lib/bench-plan.ts';
import { BodyPool } from './lib/bodies.ts';
import { Child } from './lib/procs.ts';
import { ROOT, saveResults } from './lib/setup.ts';
import { quantile } from './lib/stats.ts';

/**
 * `npm run bench -- replay-plan`: what enforcing a data plan costs the processor, without the
 * noise of a live load. Two event logs are filled with the same events through
 * `/v2/bulkevents`, one with the 100-point plan of `ingest --plan` named in every batch; then
 * `quanta replay` runs on each in turn, in child processes, and reports the CPU it used per event:
 * every thread, and the main thread (the event loop requests share). The unplanned replay is the
 * ceiling measured in the same run. Each replay is a fresh process, as `quanta replay` is, so the
 * figures include warming up: the JIT, and the plan's validators (one function per data point,
 * each optimised separately), which take a few hundred thousand events to reach their speed.
 */

export interface ReplayPlanOptions {
  requests: number;
  connections: number;
  batches: number;
  events: number;
  reps: number;
}

interface Replay {
  batches: number;
  events: number;
  seconds: number;
  /** CPU µs of every thread, and of the main thread. */
  cpuUs: number;
  mainUs: number;
}

interface Kind {
  name: 'unplanned' | 'planned';
  dataDir: string;
  replays: Replay[];
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

async function fill(kind: Kind, pool: BodyPool, o: ReplayPlanOptions): Promise<void> {
  const ingest: IngestOptions = { ...o, duration: 3600, warmup: 0, drainTimeout: 600, cpuProf: false, plan: false, rounds: 1 };
  const run = await runQuanta(ingest, pool, driveBulk(ingest, pool, { maxRequests: o.requests }), {
    label: `filling the ${kind.name} log`,
    dataDir: kind.dataDir,
    ...(kind.name === 'planned' ? { prepare: createBenchPlan } : {}),
  });
  if (run.result.ok !== o.requests) throw new Error(`${kind.name}: ${o.requests - run.result.ok} requests were not accepted: ${run.result.samples.join('; ')}`);
}

/** Events in the log a replay processed (every batch has `o.events`): what a planned replay processes, though it stores fewer. */
const logged = (r: Replay, o: ReplayPlanOptions) => r.batches * o.events;

async function replayOnce(kind: Kind): Promise<Replay> {
  const child = new Child(`replay ${kind.name}`, ['--import', 'tsx', join(ROOT, 'bench', 'lib', 'replay-child.ts')], {
    cwd: ROOT,
    env: quantaEnv(kind.dataDir),
  });
  const code = await child.exited;
  const line = /^\{.*\}$/m.exec(child.output());
  if (code !== 0 || !line) throw new Error(`replay of the ${kind.name} log failed (exit ${code}):\n${child.output()}`);
  return JSON.parse(line[0]) as Replay;
}

export async function runReplayPlan(o: ReplayPlanOptions): Promise<void> {
  const startedAt = new Date();
  const options = { batchesPerRequest: o.batches, eventsPerBatch: o.events };
  const kinds: Kind[] = [
    { name: 'unplanned', dataDir: mkdtempSync(join(tmpdir(), 'quanta-bench-replay-')), replays: [] },
    { name: 'planned', dataDir: mkdtempSync(join(tmpdir(), 'quanta-bench-replay-')), replays: [] },
  ];
  try {
    const pools = [new BodyPool({ ...options, shape: plannedShape() }), new BodyPool({ ...options, shape: plannedShape(benchPlanContext()) })];
    for (const [i, kind] of kinds.entries()) {
      log(`filling the ${kind.name} log: ${o.requests} requests of ${pools[i]!.eventsPerRequest} events...`);
      await fill(kind, pools[i]!, o);
    }
    for (let rep = 1; rep <= o.reps; rep++) {
      // Alternating the order spreads whatever else the machine does over both.
      for (const kind of rep % 2 === 1 ? kinds : [...kinds].reverse()) {
        const r = await replayOnce(kind);
        kind.replays.push(r);
        log(
          `replay ${rep} of ${o.reps}, ${kind.name}: ${r.events} events stored of ${logged(r, o)} logged in ${fmt(r.seconds, 1)} s, ` +
            `CPU ${fmt(r.cpuUs / logged(r, o), 1)} µs per event logged (main thread ${fmt(r.mainUs / logged(r, o), 1)})`,
        );
      }
    }
  } finally {
    for (const kind of kinds) rmSync(kind.dataDir, { recursive: true, force: true });
  }
  const [u, p] = kinds as [Kind, Kind];
  const figures = (k: Kind) => ({
    events: logged(k.replays[0]!, o),
    cpuUsPerEvent: median(k.replays.map((r) => r.cpuUs / logged(r, o))),
    mainUsPerEvent: median(k.replays.map((r) => r.mainUs / logged(r, o))),
    seconds: median(k.replays.map((r) => r.seconds)),
  });
  const fu = figures(u);
  const fp = figures(p);
  const line = (label: string, f: ReturnType<typeof figures>) =>
    `${label.padEnd(22)}${fmt(f.cpuUsPerEvent, 1).padStart(7)} µs per event, main thread ${fmt(f.mainUsPerEvent, 1).padStart(6)} µs, ` +
    `other threads ${fmt(f.cpuUsPerEvent - f.mainUsPerEvent, 1).padStart(6)} µs; ${fmt(f.seconds, 1)} s for ${f.events} events`;
  const report = [
    '',
    `replay-plan: ${o.requests} requests of ${o.batches} batches x ${o.events} events per log, ${o.reps} replays of each (medians), ${cpus().length} CPUs`,
    line('replay unplanned:', fu),
    line('replay planned:', fp),
    `enforcing the plan costs ${fmt(fp.cpuUsPerEvent - fu.cpuUsPerEvent, 1)} µs per event in all (${fmt((fp.cpuUsPerEvent / fu.cpuUsPerEvent) * 100, 1)}% of unplanned), ` +
      `${fmt(fp.mainUsPerEvent - fu.mainUsPerEvent, 1)} µs on the main thread (${fmt((fp.mainUsPerEvent / fu.mainUsPerEvent) * 100, 1)}%)`,
  ].join('\n');
  console.log(report);
  saveResults('replay-plan', 'replay-plan', startedAt, o, {
    unplanned: { ...fu, replays: u.replays },
    planned: { ...fp, replays: p.replays },
  });
}
