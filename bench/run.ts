import { Command, InvalidArgumentError } from 'commander';
import type { AudiencesOptions } from './audiences.ts';
import type { CalculatedOptions } from './calculated.ts';
import type { ErasureOptions } from './erasure.ts';
import type { IdsyncOptions } from './idsync.ts';
import type { IngestOptions } from './ingest.ts';
import type { ReplayPlanOptions } from './replay-plan.ts';
import type { StandardAudienceOptions } from './standard-audience.ts';

/**
 * Benchmark dispatcher: `npm run bench -- <benchmark> [options]`. Each benchmark lives in its
 * own file (bench/<name>.ts) and is imported only when chosen; shared pieces are in bench/lib/.
 */

function positive(integer: boolean) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected a positive ${integer ? 'whole ' : ''}number, got "${raw}"`);
    }
    return n;
  };
}

function nonNegative(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${raw}"`);
  return n;
}

/** The options of a benchmark that pairs runs without and with a feature (`paired.ts`) under `ingest`'s load. */
function pairedCommand(name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('--duration <s>', 'measured seconds per run', positive(false), 10)
    .option('--connections <n>', 'concurrent keep-alive connections (closed loop)', positive(true), 16)
    .option('--batches <n>', 'batches per bulk request (at most 100)', positive(true), 50)
    .option('--events <n>', 'events per batch', positive(true), 5)
    .option('--warmup <s>', 'seconds of load before each measurement, not measured (Quanta then catches up)', nonNegative, 2)
    .option('--drain-timeout <s>', 'longest wait for processing to catch up after the load', positive(false), 600)
    .option('--rounds <n>', 'none/100 pairs, alternating their order; medians are reported', positive(true), 2)
    .option('--cpu-prof', 'run Quanta under node --cpu-prof and print its top self-time functions', false);
}

const program = new Command()
  .name('bench')
  .description("Quanta's benchmarks. Targets run as child processes on 127.0.0.1; results go to bench/results/.")
  .showHelpAfterError();

program
  .command('ingest')
  .description('Durable /v2/bulkevents throughput vs. a node:http + JSON.parse ceiling, and the processing lag to the event store')
  .option('--duration <s>', 'measured seconds per target', positive(false), 10)
  .option('--connections <n>', 'concurrent keep-alive connections (closed loop)', positive(true), 16)
  .option('--batches <n>', 'batches per bulk request (at most 100)', positive(true), 50)
  .option('--events <n>', 'events per batch', positive(true), 5)
  .option('--warmup <s>', 'seconds of load before each measurement, not measured (Quanta then catches up)', nonNegative, 2)
  .option('--drain-timeout <s>', 'longest wait for processing to catch up after the load', positive(false), 300)
  .option('--cpu-prof', 'run Quanta under node --cpu-prof and print its top self-time functions', false)
  .option('--plan', 'run Quanta twice, unplanned and with a 100-point data plan enforced, and compare', false)
  .option('--rounds <n>', 'with --plan: unplanned/planned pairs, alternating their order; medians are reported', positive(true), 4)
  .option('--inputs <n>', 'run it with this many inputs configured (partner feeds) against one, alternating over --rounds', positive(true))
  .action(async (options: IngestOptions & { inputs?: number }) => {
    if (options.inputs !== undefined) {
      const { runIngestInputs } = await import('./ingest-inputs.ts');
      await runIngestInputs({ ...options, inputs: options.inputs });
      return;
    }
    if (options.plan) {
      const { runPlannedIngest } = await import('./ingest-plan.ts');
      await runPlannedIngest(options);
      return;
    }
    const { runIngest } = await import('./ingest.ts');
    await runIngest(options);
  });

program
  .command('replay-plan')
  .description('What enforcing a 100-point data plan costs the processor: two logs of the same events, one naming the plan, each replayed by `quanta replay`; CPU per event')
  .option('--requests <n>', 'bulk requests in each log', positive(true), 1200)
  .option('--connections <n>', 'concurrent connections filling the logs', positive(true), 16)
  .option('--batches <n>', 'batches per bulk request (at most 100)', positive(true), 50)
  .option('--events <n>', 'events per batch', positive(true), 5)
  .option('--reps <n>', 'replays of each log, alternating their order; medians are reported', positive(true), 3)
  .action(async (options: ReplayPlanOptions) => {
    const { runReplayPlan } = await import('./replay-plan.ts');
    await runReplayPlan(options);
  });

pairedCommand('calculated', 'End-to-end throughput with 100 active calculated attributes vs none, and activation over stored events vs a hand-written DuckDB query')
  .option('--stored <n>', 'events stored before the activation is timed', positive(true), 1_000_000)
  .action(async (options: CalculatedOptions) => {
    const { runCalculated } = await import('./calculated.ts');
    await runCalculated({ ...options, plan: false });
  });

pairedCommand('audiences', 'End-to-end throughput with 100 active real-time audiences vs none, the 202-to-membership latency at half that load, and a standard audience vs a hand-written DuckDB query')
  .option('--stored <n>', 'events in the event store the standard audience is calculated over', positive(true), 10_000_000)
  .option('--reps <n>', 'standard audience calculations and hand-written queries, alternating; medians are reported', positive(true), 3)
  .action(async (options: AudiencesOptions) => {
    const { runAudiences } = await import('./audiences.ts');
    await runAudiences({ ...options, plan: false });
  });

pairedCommand('outputs', 'Events delivered to local webhook receivers end to end with 1 and with 5 connections (one to a receiver failing half its requests), vs the same run\'s ingest-only throughput')
  .action(async (options: IngestOptions) => {
    const { runOutputs } = await import('./outputs.ts');
    await runOutputs({ ...options, plan: false });
  });

program
  .command('erasure')
  .description('Ingest throughput while DSR erasures run vs the same run without, and each erasure\'s time to completion, over seeded profiles and events')
  .option('--profiles <n>', 'profiles seeded before measuring', positive(true), 1_000_000)
  .option('--stored <n>', 'events seeded (stored / profiles per profile)', positive(true), 10_000_000)
  .option('--erasures <n>', 'users erased (DSR v3, skip_waiting_period) during the measured load', positive(true), 10_000)
  .option('--duration <s>', 'measured seconds per run', positive(false), 30)
  .option('--connections <n>', 'concurrent keep-alive connections (closed loop)', positive(true), 8)
  .option('--batches <n>', 'batches per bulk request (at most 100)', positive(true), 50)
  .option('--events <n>', 'events per batch of the measured load', positive(true), 5)
  .option('--drain-timeout <s>', 'longest wait for processing to catch up after a load', positive(false), 1800)
  .action(async (options: ErasureOptions) => {
    const { runErasure } = await import('./erasure.ts');
    await runErasure({ ...options, warmup: 0, cpuProf: false, plan: false, rounds: 1 });
  });

program
  .command('standard-audience')
  .description("A standard audience's calculation over stored events vs the hand-written DuckDB query for it (the last part of `audiences`)")
  .option('--stored <n>', 'events in the event store', positive(true), 10_000_000)
  .option('--reps <n>', 'calculations and queries, alternating; medians are reported', positive(true), 3)
  .action(async (options: StandardAudienceOptions) => {
    const { runStandardAudienceOnly } = await import('./standard-audience.ts');
    await runStandardAudienceOnly(options);
  });

program
  .command('idsync')
  .description('IDSync identify/login throughput and latency with a preloaded identity graph vs. a node:http + JSON.parse ceiling, and start-up time and memory')
  .option('--duration <s>', 'measured seconds per target', positive(false), 10)
  .option('--connections <n>', 'concurrent keep-alive connections (closed loop)', positive(true), 16)
  .option('--identities <n>', 'identities preloaded before Quanta starts (2 per profile: customer_id + email)', positive(true), 1_000_000)
  .option('--warmup <s>', 'unmeasured seconds before each measurement', nonNegative, 2)
  .option('--cpu-prof', 'run Quanta under node --cpu-prof and print its top self-time functions', false)
  .action(async (options: IdsyncOptions) => {
    const { runIdsync } = await import('./idsync.ts');
    await runIdsync(options);
  });

try {
  await program.parseAsync();
} catch (error) {
  const detail = error instanceof Error ? (process.env.DEBUG ? (error.stack ?? error.message) : error.message) : String(error);
  console.error(`bench failed: ${detail}`);
  process.exitCode = 1;
}
