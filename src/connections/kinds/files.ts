import { isAbsolute, resolve } from 'node:path';
import { stringifyLossless } from '../../kernel/lossless-json.ts';
import { DeliveryFailed, type Output, type OutputKind, type SettingSpec, type Settings } from '../output.ts';
import type { Parsed, Problem } from '../stream-batch.ts';
import { partitionOf } from './files-layout.ts';
import { RollingNdjsonFiles } from './files-writer.ts';

const MIB = 1024 * 1024;

const SETTINGS: readonly SettingSpec[] = [
  {
    name: 'directory',
    type: 'string',
    is_required: true,
    description: 'The directory to write to (absolute, or relative to the directory Quanta runs in), partitioned as workspace=<id>/date=<YYYY-MM-DD>/hour=<HH>/ by each batch\'s receive time (UTC).',
  },
  { name: 'max_file_bytes', type: 'int', is_required: false, default: 64 * MIB, description: 'A file is closed and a new one started before it would grow past this many bytes.' },
  { name: 'max_file_seconds', type: 'int', is_required: false, default: 3600, description: 'A file is closed this many seconds after it was started, even when no more batches come.' },
];

/** What `parseSettings` cannot see alone: sizes and ages of at least 1, a directory with a name. */
function check(settings: Settings): Parsed<Settings> {
  const problems: Problem[] = [];
  const directory = settings.directory as string;
  if (directory.trim() === '' || directory.includes('\0')) problems.push('settings.directory: must name a directory');
  for (const name of ['max_file_bytes', 'max_file_seconds']) if ((settings[name] as number) < 1) problems.push(`settings.${name}: must be at least 1`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: settings };
}

/**
 * A directory that cannot be one (a file in its path, no permission, a read-only file system, a
 * name too long): it does not pass by itself. Every other error (a full disk, a quota, an I/O
 * error, too many open files) is `retry`.
 */
const PERMANENT: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EROFS', 'ENAMETOOLONG', 'ELOOP', 'EINVAL']);

/** Classifies a file system error once, at the output's boundary. */
export function fileFailure(error: unknown, directory: string): DeliveryFailed {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = `${directory}: the batches could not be written: ${error instanceof Error ? error.message : String(error)}`;
  return new DeliveryFailed(message, PERMANENT.has(code) ? 'permanent' : 'retry');
}

/** What tests change: the clock (rolling by age), and how often idle files are looked at. */
export interface FilesOutputOptions {
  readonly now?: () => number;
  readonly checkEveryMs?: number;
}

/**
 * The `files` output: each batch one NDJSON line, mParticle's JSON batch with its exact `mpid`,
 * and what Quanta adds under `quanta`:
 *
 * ```json
 * {"events":[...],"environment":"production",...,"mpid":-8433569802424681543,
 *  "quanta":{"seq":41,"idempotency_key":"5-40-44-1","workspace_id":7,"input_id":3,"received_at_ms":1767261605000}}
 * ```
 *
 * `deliver` resolves once its lines are fsync'ed. Delivery is at least once: a line written
 * before a crash and before its delivery was committed is written again after it, so a reader
 * that must count each batch once keeps the first line of each `quanta.idempotency_key` (the
 * delivery's key and the batch's index in it, the same on every retry); `seq` is the batch's
 * place in Quanta's stream. Files are laid out as `files-layout.ts` says; one directory is one
 * Quanta process's (the files another process has open are not told apart from leftovers).
 */
export function filesOutput(settings: Settings, options: FilesOutputOptions = {}): Output {
  const directory = settings.directory as string;
  const root = isAbsolute(directory) ? directory : resolve(directory);
  const maxFileMs = (settings.max_file_seconds as number) * 1000;
  const files = new RollingNdjsonFiles({
    root,
    maxFileBytes: settings.max_file_bytes as number,
    maxFileMs,
    checkEveryMs: options.checkEveryMs ?? Math.min(maxFileMs, 60_000),
    now: options.now ?? Date.now,
  });
  return {
    maxBatches: 500,
    async deliver(batches, key) {
      const lines = batches.map((b, i) => {
        const quanta = { seq: b.seq, idempotency_key: `${key}-${i}`, workspace_id: b.workspaceId, input_id: b.inputId, received_at_ms: b.receivedAtMs };
        return { partition: partitionOf(b.workspaceId, b.receivedAtMs), bytes: Buffer.from(`${stringifyLossless({ ...b.batch, mpid: b.mpid, quanta })}\n`) };
      });
      try {
        await files.append(lines);
      } catch (error) {
        throw fileFailure(error, root);
      }
    },
    close: () => files.close(),
  };
}

/** Quanta's own output (mParticle's nearest is its Amazon S3 integration): NDJSON files in a directory, partitioned and rolled. */
export const files: OutputKind = {
  name: 'files',
  description: 'Writes your batches to NDJSON files in a directory, one line per batch in mParticle\'s JSON batch format, partitioned by workspace, date and hour, and rolled by size and time.',
  settings: SETTINGS,
  check,
  open: (settings) => filesOutput(settings),
};
