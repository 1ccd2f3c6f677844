import type { InputId, Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { ValidationErrorType } from './data-plan.ts';

/**
 * What was blocked from a batch, in the shape of mParticle's quarantine output
 * (`context.data_plan.block_metadata`, `dto_version` 1) so mParticle's replay scripts read it.
 * Event attributes are paths into the event, e.g. `./data/custom_attributes/color`.
 */
export interface BlockMetadata {
  dto_version: 1;
  blocked_user_identities: string[];
  blocked_device_identities: string[];
  blocked_event_ids: string[];
  blocked_event_attributes: { event_id: string; event_attributes: string[] }[];
  blocked_user_attributes: string[];
}

/**
 * A batch the data-plan stage blocked something from. The batch itself stays where it is, in the
 * event log at `partition`/`offset` (durable and replayable); the quarantine keeps what was
 * blocked, so the two together give mParticle's quarantine document (see `QuarantineReader`).
 */
export interface NewBlockedBatch {
  workspaceId: WorkspaceId;
  inputId: InputId;
  mpid: Mpid;
  planId: string;
  version: number;
  /** Where the batch is in the event log; blocking it again is a no-op. */
  partition: number;
  offset: number;
  receivedAtMs: number;
  /** True when the whole batch was blocked (a `drop_batch` action). */
  wholeBatch: boolean;
  /** What was blocked from it. */
  metadata: BlockMetadata;
}

export interface BlockedBatch extends NewBlockedBatch {
  /** Ascending in blocking order: the cursor of {@link DataQualityStore.blocked}. */
  id: number;
  /** When a backfill re-sent it; null while it waits. */
  backfilledAtMs: number | null;
}

export interface BlockedQuery {
  planId: string;
  version?: number;
  /** Only batches not yet backfilled. */
  pending?: boolean;
  /** Blocked batches received in [fromMs, toMs]. */
  fromMs?: number;
  toMs?: number;
  /** Only ids above this one: the cursor of the previous page. */
  afterId?: number;
}

/** One line of a plan version's violation report. */
export interface ViolationKey {
  workspaceId: WorkspaceId;
  planId: string;
  version: number;
  /** What the violation is about: an event's match key (`custom_event:navigation:Search`), `user_attributes` or `user_identities`. */
  subject: string;
  violationType: ValidationErrorType;
  /** The attribute, identity or event key the violation names; '' when none. */
  key: string;
}

export interface ViolationCount extends ViolationKey {
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
}

/** What one processor flush adds: blocked batches, violation counts, and how far each partition got. */
export interface QualityFlush {
  blocked: readonly NewBlockedBatch[];
  violations: readonly ViolationCount[];
  /** The last log offset of each partition these counts include. */
  offsets: ReadonlyMap<number, number>;
}

/**
 * Data quality: blocked data (the quarantine) and violation counts per plan version (storage
 * role "state store").
 *
 * Contract (`storage/contracts/quality-store.contract.ts`):
 * - `record` applies a flush in one transaction: blocked batches are kept once per log position
 *   (re-recording one changes nothing, not even its backfill mark), counts are added, and the
 *   partitions' offsets advance; `appliedOffsets` reads them back, so a processor re-running
 *   records after a crash can skip what is already counted.
 * - `blocked` lists by ascending id (pages with `afterId`); `markBackfilled` stamps batches once.
 * - `resetViolations` forgets counts and offsets (a replay recounts); blocked data is kept.
 * - `eraseUsers` removes some users' blocked batches, all or nothing, and nothing else.
 */
export interface DataQualityStore {
  record(flush: QualityFlush): Promise<void>;
  appliedOffsets(): Promise<Map<number, number>>;
  violations(ws: WorkspaceId, planId: string, version?: number): Promise<ViolationCount[]>;
  blocked(ws: WorkspaceId, query: BlockedQuery, limit: number): Promise<BlockedBatch[]>;
  countBlocked(ws: WorkspaceId, query: BlockedQuery): Promise<number>;
  markBackfilled(ws: WorkspaceId, ids: readonly number[], atMs: number): Promise<void>;
  resetViolations(): Promise<void>;
  /**
   * Erases some users of one workspace from the quarantine (the store's part of a GDPR
   * erasure), all in one transaction: every blocked batch of each user's, backfilled or not, with
   * what was blocked from it. Answers how many it removed (0 for unknown users).
   *
   * Kept: violation counts, which are per plan version, event and attribute name, and name no
   * user and hold no value; and offsets. The batches themselves are the event log's: a replay
   * would block them again until the log forgets them too.
   */
  eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
  close(): Promise<void>;
}
