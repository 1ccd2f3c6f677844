import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Envelope, LogRecord } from '../model/envelope.ts';

/** One user of one workspace, as an erasure names it. */
export interface UserRef {
  readonly workspaceId: WorkspaceId;
  readonly mpid: Mpid;
}

/**
 * An erased user's mark in the log: the user's records up to `offset` (the log's last offset
 * when it was written) were deleted, and none of the user's records may be processed again
 * (the processor, `quanta replay` and backfills skip them).
 */
export interface Tombstone extends UserRef {
  readonly offset: number;
  readonly atMs: number;
}

export type AppendOutcome = { duplicate: false; partition: number; offset: number } | { duplicate: true };

/**
 * The durable, replayable event log (storage role "event log").
 *
 * Contract (checked by `storage/contracts/event-log.contract.ts` on every adapter):
 * - `append` resolves only when every envelope is durable; the whole call succeeds or fails.
 * - An envelope whose `dedupKey` was appended before is not appended again (`duplicate: true`).
 * - Records are partitioned by workspace + MPID; within a partition offsets only grow and
 *   `read` returns records in append order.
 * - Consumers commit an offset per partition; `committed` returns 0 before the first commit.
 * - `tombstone` writes a durable tombstone per user and deletes that user's records, and nobody
 *   else's; `read` never returns a deleted record. Writing a tombstone again moves its offset on
 *   and deletes what was appended since (idempotent).
 *
 * @example
 *   const [r] = await log.append([envelope]);
 *   const records = await log.read(r.partition, 0, 100);
 *   await log.commit('processor', r.partition, records.at(-1)!.offset);
 */
export interface EventLog {
  readonly partitionCount: number;
  append(envelopes: readonly Envelope[]): Promise<AppendOutcome[]>;
  read(partition: number, afterOffset: number, limit: number): Promise<LogRecord[]>;
  /** Calls `listener` after appends become durable, with the partitions that grew. */
  onAppend(listener: (partitions: ReadonlySet<number>) => void): () => void;
  commit(consumer: string, partition: number, offset: number): Promise<void>;
  committed(consumer: string, partition: number): Promise<number>;
  /**
   * Erases users from the log (a GDPR erasure): a tombstone per user at the log's last offset,
   * and every record of theirs deleted; resolves, with the records deleted, once it is durable.
   * Appends queued before the call are written before it.
   */
  tombstone(users: readonly UserRef[]): Promise<number>;
  /** Every tombstone written (a few bytes each; the processor holds them in memory). */
  tombstones(): Promise<Tombstone[]>;
  /** Records appended after the consumer's committed offsets, over all partitions. */
  lag(consumer: string): Promise<number>;
  close(): Promise<void>;
}

/** Resolves once `consumer` has committed every record appended so far (polling its lag). */
export async function consumerCaughtUp(log: Pick<EventLog, 'lag'>, consumer: string, pollMs = 20): Promise<void> {
  while ((await log.lag(consumer)) > 0) await new Promise((r) => setTimeout(r, pollMs));
}

/** FNV-1a over `workspace:mpid`: a stable partition for a user on every engine. */
export function partitionOf(workspaceId: number, mpid: string, partitionCount: number): number {
  const key = `${workspaceId}:${mpid}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitionCount;
}
