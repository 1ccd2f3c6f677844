import { BodyPool } from './lib/bodies.ts';
import { bearer, saveResults, WORKSPACE_ID } from './lib/setup.ts';
import { type IngestOptions, log } from './ingest.ts';
import { runPaired } from './paired.ts';

/**
 * `npm run bench -- ingest --inputs 1000`: the ingest load (on the bootstrap input) with that many
 * inputs configured (partner feeds, created through the Platform API v1 before the load), next to
 * the same load with the one bootstrap input, alternating over `--rounds`. Target: within 5%
 * (credential checks stay off the hot path's cost).
 */
export async function runIngestInputs(o: IngestOptions & { inputs: number }): Promise<void> {
  const startedAt = new Date();
  const pool = new BodyPool({ batchesPerRequest: o.batches, eventsPerBatch: o.events });
  log(`${pool.stats.poolSize} bodies; ${o.inputs} inputs in the runs with them`);
  const paired = await runPaired(o, pool, { label: `${o.inputs} inputs`, prepare: (base) => createFeeds(base, o.inputs - 1), targetRatio: 0.95 });
  console.log(['', `ingest with ${o.inputs} inputs configured vs one, ${o.rounds} rounds:`, ...paired.lines].join('\n'));
  saveResults('ingest-inputs', 'ingest-inputs', startedAt, o, { one: paired.figures.none, many: paired.figures.with, ratio: paired.ratio, targets: { ratio: { min: 0.95, met: paired.ratio >= 0.95 } } });
}

/** `n` partner feeds, half CleverTap and half Custom Feed, through `POST /v1/workspace/{ws}/partnerfeeds`. */
async function createFeeds(base: string, n: number): Promise<void> {
  const authorization = await bearer(base);
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${base}/v1/workspace/${WORKSPACE_ID}/partnerfeeds?accountId=1`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ module_name: i % 2 ? 'CleverTap' : 'Custom Feed', name: `bench feed ${i}`, os: 'Unknown' }),
    });
    if (res.status !== 201) throw new Error(`creating feed ${i}: HTTP ${res.status} ${await res.text()}`);
  }
}
