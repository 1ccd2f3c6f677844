import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, where Quanta is started from. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where benchmark results and CPU profiles are written (untracked). */
export const RESULTS = join(ROOT, 'bench', 'results');
/** The bootstrap input credentials every benchmark starts Quanta with. */
export const API_KEY = 'bench-key';
export const API_SECRET = 'bench-secret';
export const BASIC_AUTH = `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`;
/** The bootstrap API client (Bearer tokens from `POST /oauth/token`) and its workspace. */
export const CLIENT_ID = 'bench-client';
export const CLIENT_SECRET = 'bench-client-secret';
export const WORKSPACE_ID = 1;

/**
 * Writes a run's figures to `bench/results/<file>-<start time>.json`, after what every result
 * file starts with (the benchmark, its start, options and machine), and prints where.
 */
export function saveResults(benchmark: string, file: string, startedAt: Date, options: object, figures: Record<string, unknown>): void {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${file}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadavgAtEnd: loadavg() };
  writeFileSync(path, `${JSON.stringify({ benchmark, startedAt: startedAt.toISOString(), options, machine, ...figures }, null, 2)}\n`);
  console.log(`results: ${path}`);
}

/** `Bearer <token>` for the bootstrap API client, from Quanta's own `/oauth/token`. */
export async function bearer(base: string): Promise<string> {
  const res = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials', audience: 'https://api.mparticle.com' }),
  });
  return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}
