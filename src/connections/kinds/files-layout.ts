import { join } from 'node:path';
import type { WorkspaceId } from '../../kernel/ids.ts';

/**
 * Where the `files` output writes, under its directory, Hive-style so query engines (DuckDB,
 * Spark, Athena) read the partitions as columns:
 *
 * ```
 * <directory>/workspace=<id>/date=<YYYY-MM-DD>/hour=<HH>/part-<startedMs>-<n>.ndjson
 * ```
 *
 * The date and hour are the batch's receive time's, in UTC; `startedMs` is when the file was
 * started and `<n>` tells apart files started in the same millisecond. A file being written is
 * `part-...ndjson.open`: readers take only `.ndjson` files, which are complete.
 */
export function partitionOf(workspace: WorkspaceId, receivedAtMs: number): string {
  const iso = new Date(receivedAtMs).toISOString();
  return join(`workspace=${workspace}`, `date=${iso.slice(0, 10)}`, `hour=${iso.slice(11, 13)}`);
}

/** A complete file's name. */
export const partName = (startedMs: number, n: number) => `part-${startedMs}-${n}.ndjson`;

/** What a file being written adds to its name. */
export const OPEN_SUFFIX = '.open';

/** The folder names of the three partition levels, outermost first: what finishing leftovers walks. */
export const PARTITION_LEVELS: readonly RegExp[] = [/^workspace=\d+$/, /^date=\d{4}-\d{2}-\d{2}$/, /^hour=\d{2}$/];
