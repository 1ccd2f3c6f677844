import type { BodyPool } from './lib/bodies.ts';
import { driveBulk, fmt, type IngestOptions, profileLines, type QuantaRun, quantaFigures, runQuanta, threadCpuText } from './ingest.ts';

/** A feature measured against the same load without it (`calculated`, `audiences`). */
export interface Feature {
  /** What the runs with it are called: `100 calculated attributes`. */
  label: string;
  /** Set up before each run with it (through the Platform API, say). */
  prepare: (base: string) => Promise<void>;
  /** The end-to-end ratio it must keep, of the runs without it. */
  targetRatio: number;
}

export interface Paired {
  none: QuantaRun[];
  with: QuantaRun[];
  /** Medians of the end-to-end throughputs, events/s. */
  noneMedian: number;
  withMedian: number;
  ratio: number;
  /** What to print: each round, the medians against the target, CPU by thread. */
  lines: string[];
  /** The last runs' CPU profiles, with `--cpu-prof`. */
  profiles: string[];
  /** Each run's figures, for the results file. */
  figures: { none: object[]; with: object[] };
}

/** Events acknowledged and processed: the measured load's events over its time plus the time processing took to catch up. */
export const endToEnd = (run: QuantaRun) => run.result.events / (run.result.elapsedS + run.drainS);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * `o.rounds` pairs of Quanta runs under `ingest`'s load, without the feature and with it, their
 * order alternating round by round; medians are compared (absolute figures on a shared machine
 * are noisy: only the same run's ratio counts).
 */
export async function runPaired(o: IngestOptions, pool: BodyPool, feature: Feature): Promise<Paired> {
  const none: QuantaRun[] = [];
  const withIt: QuantaRun[] = [];
  for (let r = 1; r <= o.rounds; r++) {
    const of = o.rounds > 1 ? ` (round ${r} of ${o.rounds})` : '';
    const bare = async () => void none.push(await runQuanta(o, pool, driveBulk(o, pool), { label: `quanta, without ${feature.label}${of}` }));
    const featured = async () => void withIt.push(await runQuanta(o, pool, driveBulk(o, pool), { label: `quanta, ${feature.label}${of}`, prepare: feature.prepare }));
    if (r % 2 === 1) {
      await bare();
      await featured();
    } else {
      await featured();
      await bare();
    }
  }
  const noneMedian = median(none.map(endToEnd));
  const withMedian = median(withIt.map(endToEnd));
  const ratio = withMedian / noneMedian;
  const one = (r: QuantaRun) =>
    `${fmt(endToEnd(r), 0)} events/s end to end (acknowledged ${fmt(r.result.eventsPerS, 0)}/s, caught up ${fmt(r.drainS, 1)} s after), CPU ${fmt(r.cpuUsPerEvent, 1)} µs per event`;
  const met = ratio >= feature.targetRatio;
  return {
    none,
    with: withIt,
    noneMedian,
    withMedian,
    ratio,
    lines: [
      ...none.map((run, i) => `  none: ${one(run)}\n  with: ${one(withIt[i]!)}`),
      `end to end (acknowledged and processed), medians: none ${fmt(noneMedian, 0)} events/s, ${feature.label} ${fmt(withMedian, 0)} events/s: ` +
        `${fmt(ratio * 100, 1)}% (target >= ${feature.targetRatio * 100}%)${met ? '' : '  MISSED'}`,
      `${threadCpuText(none.at(-1)!)} (none)`,
      `${threadCpuText(withIt.at(-1)!)} (${feature.label})`,
    ],
    profiles: [...profileLines(none.at(-1)!), ...profileLines(withIt.at(-1)!)],
    figures: {
      none: none.map((r) => ({ ...quantaFigures(r), endToEndEventsPerS: endToEnd(r) })),
      with: withIt.map((r) => ({ ...quantaFigures(r), endToEndEventsPerS: endToEnd(r) })),
    },
  };
}
