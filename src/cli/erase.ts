import { readFile } from 'node:fs/promises';
import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '../config/config.ts';

export interface EraseOptions {
  /** The ids file: one MPID or `type:value` per line, or CSV (`mpid`, or `identity_type,value`, with or without a header). */
  file: string;
  /** The running Quanta; default http://127.0.0.1:$PORT. */
  url?: string;
  /** An input's key and secret (its workspace is the one erased from); default QUANTA_API_KEY / QUANTA_API_SECRET. */
  key?: string;
  secret?: string;
  /** Items per bulk deletion request (at most 1000). */
  chunk: number;
  progress: boolean;
  /** How often a job's progress is read. */
  pollMs?: number;
}

export interface EraseTotals {
  items: number;
  users: number;
  notFound: number;
  requests: number;
}

/** An error the CLI prints as is: it already says what to do. */
export class EraseError extends Error {}

/** One item of a bulk deletion request, as the API reads it. */
export type EraseItem = { mpid: string; action: 'delete' } | { identity_type: string; value: string; action: 'delete' };

const MPID = /^-?\d{1,20}$/;
const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

/**
 * Reads an ids file: each line an MPID, a `type:value` identity (`email:ada@example.com`), or a CSV
 * row (`<mpid>`, or `<identity_type>,<value>`), a first row naming its columns (`mpid`,
 * `identity_type`, `value`) read as a header. Blank lines and `#` comments are skipped. Throws
 * naming the first line it cannot read.
 */
export function parseIdsFile(text: string): EraseItem[] {
  const items: EraseItem[] = [];
  let columns: string[] | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(',').map(unquote);
    if (items.length === 0 && columns === undefined && cells.some((c) => ['mpid', 'identity_type', 'value', 'type'].includes(c.toLowerCase()))) {
      columns = cells.map((c) => (c.toLowerCase() === 'type' ? 'identity_type' : c.toLowerCase()));
      return;
    }
    const named = columns ? Object.fromEntries(columns.map((c, k) => [c, cells[k] ?? ''])) : undefined;
    const mpid = named ? named.mpid : cells.length === 1 && MPID.test(cells[0]!) ? cells[0] : undefined;
    if (mpid) {
      if (!MPID.test(mpid)) throw new EraseError(`line ${i + 1}: "${mpid}" is not an MPID (a signed 64-bit integer).`);
      items.push({ mpid, action: 'delete' });
      return;
    }
    const [type, value] = named ? [named.identity_type, named.value] : cells.length >= 2 ? [cells[0], cells.slice(1).join(',')] : splitOnce(cells[0]!);
    if (!type || !value) throw new EraseError(`line ${i + 1}: write an MPID, type:value (email:ada@example.com) or identity_type,value; found "${line}".`);
    items.push({ identity_type: type, value, action: 'delete' });
  });
  return items;
}

function splitOnce(cell: string): [string | undefined, string | undefined] {
  const at = cell.indexOf(':');
  return at <= 0 ? [undefined, undefined] : [cell.slice(0, at), cell.slice(at + 1)];
}

interface Job {
  job_id: string;
  status: 'queued' | 'in_progress' | 'done';
  users_total: number;
  users_done: number;
  not_found: number;
}

async function call(url: string, init: RequestInit): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (error) {
    throw new EraseError(`Cannot reach Quanta at ${new URL(url).origin} (${(error as Error).message}); start it, or pass --url.`);
  }
  const body = (await res.json().catch(() => ({}))) as { errors?: { message: string }[] };
  if (!res.ok) throw new EraseError(`${res.status}: ${body.errors?.map((e) => e.message).join('; ') ?? res.statusText}`);
  return body;
}

/**
 * Erases the users an ids file names through a running Quanta's Bulk Profile Deletion API:
 * `chunk` items per request, each job followed to its end, with a progress bar over the items.
 */
export async function erase(config: Readonly<Config>, o: EraseOptions): Promise<EraseTotals> {
  const key = o.key ?? config.bootstrap.apiKey;
  const secret = o.secret ?? config.bootstrap.apiSecret;
  if (!key || !secret) throw new EraseError('No input key: pass --key and --secret (or set QUANTA_API_KEY/QUANTA_API_SECRET), an input of the workspace to erase from.');
  let text: string;
  try {
    text = await readFile(o.file, 'utf8');
  } catch (error) {
    throw new EraseError(`Cannot read ${o.file}: ${(error as Error).message}`);
  }
  const items = parseIdsFile(text);
  const base = `${(o.url ?? `http://127.0.0.1:${config.port}`).replace(/\/$/, '')}/userprofile/experimental/bulkdelete`;
  const headers = { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`, 'content-type': 'application/json' };
  const chunk = Math.max(1, Math.min(o.chunk, 1000));
  const bar = o.progress ? new SingleBar({ format: 'Erasing |{bar}| {percentage}% {value}/{total} ids, ETA {eta_formatted}' }, Presets.shades_classic) : undefined;
  bar?.start(items.length, 0);
  const totals: EraseTotals = { items: items.length, users: 0, notFound: 0, requests: 0 };
  try {
    for (let at = 0; at < items.length; at += chunk) {
      const part = items.slice(at, at + chunk);
      let job = (await call(base, { method: 'POST', headers, body: JSON.stringify(part) })) as Job;
      totals.requests++;
      while (job.status !== 'done') {
        bar?.update(at + Math.round((job.users_done / Math.max(1, job.users_total)) * part.length));
        await new Promise((r) => setTimeout(r, o.pollMs ?? 250));
        job = (await call(`${base}/${job.job_id}`, { headers: { authorization: headers.authorization } })) as Job;
      }
      totals.users += job.users_total;
      totals.notFound += job.not_found;
      bar?.update(at + part.length);
    }
  } finally {
    bar?.stop();
  }
  return totals;
}
