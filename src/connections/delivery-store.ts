import type { InputId, Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { AudienceChange } from './audience-change.ts';
import type { StreamBatch } from './stream-batch.ts';

/** One processed batch the processor appends: its JSON, where it came from and where the log had it. */
export interface StreamAppend {
  readonly workspaceId: WorkspaceId;
  readonly inputId: InputId;
  readonly mpid: Mpid;
  readonly receivedAtMs: number;
  readonly logPartition: number;
  readonly logOffset: number;
  /** The batch as the stages left it, with its `mpid`, as JSON (`stringifyLossless`: the MPID an exact number). */
  readonly batch: string;
}

/**
 * What a connection's delivery has done, counted in batches (an audience connection's: in
 * membership changes); `failed` and `retried` count tries of requests.
 */
export interface DeliveryCounts {
  sent: number;
  filtered: number;
  failed: number;
  retried: number;
  dead_lettered: number;
}

export interface CursorState extends DeliveryCounts {
  /**
   * The last stream seq the connection finished (delivered, filtered out or dead-lettered); an
   * audience connection's: the last membership change seq, -1 until its first members were sent.
   */
  readonly committed: number;
  /** The end of the chunk it is delivering; equal to `committed` when none is claimed. */
  readonly claimed: number;
  readonly lastError: { readonly atMs: number; readonly message: string } | null;
}

/**
 * What a connection could not deliver, kept with its request's key and the last error: stream
 * batches (an event connection), or membership changes (an audience connection).
 */
export interface DeadLetter {
  readonly id: number;
  readonly connectionId: number;
  readonly key: string;
  readonly batches: readonly StreamBatch[];
  readonly changes: readonly AudienceChange[];
  readonly error: string;
  readonly attempts: number;
  readonly createdAtMs: number;
}

export type DeadLetterAppend = Omit<DeadLetter, 'id' | 'connectionId'>;

/** What a chunk's delivery changes, written in one transaction with the cursor. */
export interface ChunkDone {
  /**
   * The connection's workspace: whose users its dead letters' changes are (a membership change
   * does not name its workspace; a stream batch does), so that erasing a user finds them.
   */
  readonly workspaceId: WorkspaceId;
  readonly end: number;
  readonly counts: DeliveryCounts;
  readonly lastError: { readonly atMs: number; readonly message: string } | null;
  readonly deadLetters: readonly DeadLetterAppend[];
}

/**
 * The delivery stream and each connection's place in it (`delivery.sqlite`; see
 * ARCHITECTURE.md): the processor appends, the delivery loops read after their cursors.
 */
export interface DeliveryStore {
  /** Appends in one transaction; a log place already in the stream (a re-run) is skipped. */
  append(rows: readonly StreamAppend[]): Promise<void>;
  /** Up to `limit` batches of the workspace after `afterSeq`, in order. */
  read(ws: WorkspaceId, afterSeq: number, limit: number): Promise<StreamBatch[]>;
  /** The last seq in the stream (0 when empty). */
  endSeq(): Promise<number>;
  /** The seq before the first batch received at or after `ms` (where a backfill starts). */
  seqBefore(ms: number): Promise<number>;

  /** The connection's cursor, created at `startSeq` if it has none. */
  cursor(connectionId: number, startSeq: number): Promise<CursorState>;
  /** The connection's cursor, without creating one: undefined before its delivery started. */
  peekCursor(connectionId: number): Promise<CursorState | undefined>;
  claim(connectionId: number, end: number): Promise<void>;
  /** Moves the cursor to the chunk's end, adds its counts and keeps its dead letters, at once. */
  commit(connectionId: number, done: ChunkDone): Promise<void>;
  /** Batches of the workspace after the cursor, and the oldest one's receive time. */
  pending(ws: WorkspaceId, afterSeq: number): Promise<{ count: number; oldestReceivedAtMs: number | null }>;

  deadLetters(connectionId: number, limit: number, afterId?: number): Promise<DeadLetter[]>;
  /** The dead letters of these ids (all of the connection's when `ids` is undefined). */
  deadLettersById(connectionId: number, ids?: readonly number[]): Promise<DeadLetter[]>;
  /** A replayed dead letter was delivered: it goes, and `sent` counts its batches (or changes). */
  resolveDeadLetter(connectionId: number, id: number): Promise<void>;
  /** A replay failed again: the attempt and its error are recorded. */
  failDeadLetter(connectionId: number, id: number, error: string, nowMs: number): Promise<void>;

  /** Forgets a deleted connection's cursor, counts and dead letters. */
  dropConnection(connectionId: number): Promise<void>;
  /**
   * Erases some users of one workspace (the store's part of a GDPR erasure), all in one
   * transaction: every stream batch of each user's, delivered or still waiting for a cursor (a
   * connection will not send it), and the users' batches and membership changes in every
   * connection's dead letters: a dead letter left with nothing goes, one that also holds other
   * users' keeps theirs (under its key), and each cursor's `dead_lettered` drops by what went.
   * Answers how many batches and changes it removed (0 for unknown users).
   *
   * Kept: cursors and their other counts (numbers, naming no one). Not found: membership changes
   * in dead letters written before the delivery store's schema 2, which name no workspace (drop
   * or replay those with the connection's dead letters). A connection that had claimed a chunk
   * holding the user's batches resends the rest of it under keys of its own after a restart.
   */
  eraseUsers(workspaceId: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
  /** Deletes batches received before `beforeMs` that every cursor has passed; answers how many. */
  prune(beforeMs: number): Promise<number>;
  close(): Promise<void>;
}
