import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '../config/config.ts';
import type { BackfillResult } from '../planning/backfill.ts';
import type { Storage } from '../runtime/storage.ts';

export interface BackfillOptions {
  plan: string;
  workspace: number;
  /** The running Quanta; default http://127.0.0.1:$PORT. */
  url?: string;
  clientId?: string;
  clientSecret?: string;
  targetVersion?: number;
  blockedVersion?: number;
  from?: string;
  to?: string;
  includeEventAttributes?: boolean;
  dryRun?: boolean;
  /** Blocked batches per request. */
  chunk: number;
  progress: boolean;
}

export interface BackfillTotals extends Omit<BackfillResult, 'remaining' | 'last_id'> {
  requests: number;
}

/** An error the CLI prints as is: it already says what to do. */
export class BackfillError extends Error {}

/** The API client to call with: the options', else the bootstrap variables', else the one the data dir stores. */
async function credentials(config: Readonly<Config>, o: BackfillOptions, storage: () => Storage): Promise<{ clientId: string; clientSecret: string }> {
  if (o.clientId && o.clientSecret) return { clientId: o.clientId, clientSecret: o.clientSecret };
  const { clientId, clientSecret } = config.bootstrap;
  if (clientId && clientSecret) return { clientId, clientSecret };
  const stores = storage();
  try {
    const platform = await stores.open('platform');
    const id = platform.setting('bootstrap.client_id');
    const secret = platform.setting('bootstrap.client_secret');
    if (id && secret) return { clientId: id, clientSecret: secret };
  } finally {
    await stores.close();
  }
  throw new BackfillError(`No API client: pass --client-id and --client-secret (or set QUANTA_CLIENT_ID/QUANTA_CLIENT_SECRET); ${config.dataDir} has none stored.`);
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (error) {
    throw new BackfillError(`Cannot reach Quanta at ${new URL(url).origin} (${(error as Error).message}); start it, or pass --url.`);
  }
  const body = (await res.json().catch(() => ({}))) as { errors?: { message: string }[] };
  if (!res.ok) throw new BackfillError(`${res.status}: ${body.errors?.map((e) => e.message).join('; ') ?? res.statusText}`);
  return body;
}

/**
 * Backfills a plan's blocked data through a running Quanta's API, `chunk` blocked batches per
 * request, with a progress bar over the blocked batches waiting when it starts. `storage` opens the
 * data dir's stores, for the API client the data dir keeps when none is given.
 */
export async function backfill(config: Readonly<Config>, o: BackfillOptions, storage: () => Storage): Promise<BackfillTotals> {
  const base = (o.url ?? `http://127.0.0.1:${config.port}`).replace(/\/$/, '');
  const { clientId, clientSecret } = await credentials(config, o, storage);
  const token = (await call(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials', audience: 'https://api.mparticle.com' }),
  })) as { access_token: string };
  const headers = { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' };
  const plan = `${base}/platform/v2/workspaces/${o.workspace}/plans/${encodeURIComponent(o.plan)}`;
  const request = {
    limit: Math.min(o.chunk, 1000),
    ...(o.targetVersion !== undefined ? { target_version: o.targetVersion } : {}),
    ...(o.blockedVersion !== undefined ? { blocked_version: o.blockedVersion } : {}),
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.to !== undefined ? { to: o.to } : {}),
    ...(o.includeEventAttributes ? { include_event_attributes: true } : {}),
  };
  const post = async (body: Record<string, unknown>) =>
    (await call(`${plan}/backfill`, { method: 'POST', headers, body: JSON.stringify({ ...request, ...body }) })) as BackfillResult;
  const probe = await post({ dry_run: true, limit: 1 });
  const total = probe.examined + probe.remaining;
  const totals: BackfillTotals = { target_version: probe.target_version, examined: 0, sent: 0, blocked_again: 0, nothing_to_send: 0, requests: 0 };
  const bar = o.progress
    ? new SingleBar({ format: 'Backfilling |{bar}| {percentage}% {value}/{total} blocked batches, ETA {eta_formatted}' }, Presets.shades_classic)
    : undefined;
  bar?.start(total, 0);
  try {
    // A real run marks what it sent, so each call takes the next waiting batches; a dry run marks
    // nothing and pages with `after`.
    let after: number | null = null;
    for (;;) {
      const r = await post({ ...(o.dryRun ? { dry_run: true } : {}), ...(o.dryRun && after !== null ? { after } : {}) });
      totals.requests++;
      totals.examined += r.examined;
      totals.sent += r.sent;
      totals.blocked_again += r.blocked_again;
      totals.nothing_to_send += r.nothing_to_send;
      bar?.update(Math.min(totals.examined, total));
      if (r.examined === 0 || r.remaining === 0) break;
      after = r.last_id;
    }
  } finally {
    bar?.stop();
  }
  return totals;
}
