import type { WorkspaceId } from '../kernel/ids.ts';
import type { DsrCallback, DsrRecord, NewCallback, RecordUpdate, RequestStatus } from './dsr.ts';

/** What {@link DsrStore.create} did: saved it, or found the same id, or an open request like it. */
export type CreateOutcome = { readonly kind: 'created' } | { readonly kind: 'exists' } | { readonly kind: 'open'; readonly subjectRequestId: string };

/** How a callback's try ended: delivered, to try again at `nextTryAtMs`, or given up. */
export type CallbackOutcome =
  | { readonly kind: 'delivered'; readonly atMs: number }
  | { readonly kind: 'retry'; readonly error: string; readonly nextTryAtMs: number }
  | { readonly kind: 'given_up'; readonly error: string };

/**
 * Data subject requests and their status callbacks (part of the storage role "state"): each
 * request with its raw text, identities, status history, due time, whom it resolved to, its
 * forwarding states and results, and the callbacks queued per status change and URL.
 *
 * Every status change and the callbacks announcing it are written in one transaction
 * ({@link create}, {@link transition}), so a crash never loses a callback nor sends one for a change
 * that was not kept.
 *
 * @example
 *   const outcome = await store.create(record, callbacks);
 *   const moved = await store.transition(ws, id, ['pending'], { status: 'in_progress', atMs }, {}, callbacks);
 *   for (const c of await store.dueCallbacks(Date.now(), 50)) ...
 */
export interface DsrStore {
  /**
   * Saves a new request with its first callbacks, unless the workspace has a request with the
   * same id (`exists`, whatever its status) or an open one (pending or in progress) with the
   * same fingerprint (`open`), in one transaction.
   */
  create(record: DsrRecord, callbacks: readonly NewCallback[]): Promise<CreateOutcome>;
  request(ws: WorkspaceId, subjectRequestId: string): Promise<DsrRecord | undefined>;
  /** A workspace's requests of a group, oldest first. */
  group(ws: WorkspaceId, groupId: string): Promise<DsrRecord[]>;
  /**
   * Moves a request to `change.status` (adding it to the history) with `update`, and queues the
   * callbacks, if its status is one of `from`; answers the request as it now is, or undefined
   * (unknown, or in another status: nothing changed).
   */
  transition(
    ws: WorkspaceId,
    subjectRequestId: string,
    from: readonly RequestStatus[],
    change: { readonly status: RequestStatus; readonly atMs: number },
    update: RecordUpdate,
    callbacks: readonly NewCallback[],
  ): Promise<DsrRecord | undefined>;
  /** Changes a request's fields, not its status. */
  update(ws: WorkspaceId, subjectRequestId: string, update: RecordUpdate): Promise<void>;
  /** Pending and in-progress requests whose due time has come, earliest first, at most `limit`. */
  due(nowMs: number, limit: number): Promise<DsrRecord[]>;
  /** Requests per status, over every workspace. */
  countByStatus(): Promise<Record<RequestStatus, number>>;

  /**
   * Callbacks to try now: neither delivered nor given up, `nextTryAtMs` come, and the oldest of
   * their request and URL still open (each URL hears a request's changes in order).
   */
  dueCallbacks(nowMs: number, limit: number): Promise<DsrCallback[]>;
  /** Records a try of a callback. */
  settleCallback(id: number, outcome: CallbackOutcome): Promise<void>;
  /** A request's callbacks, in the order queued. */
  callbacks(ws: WorkspaceId, subjectRequestId: string): Promise<DsrCallback[]>;

  /** Completed requests whose result file's download time is over and which was not yet removed. */
  expiredResults(nowMs: number): Promise<DsrRecord[]>;
  /**
   * Deletes the requests received before `beforeMs` and their callbacks; answers the result files
   * they named, for the caller to remove.
   */
  purge(beforeMs: number): Promise<{ readonly requests: number; readonly files: readonly string[] }>;
  close(): Promise<void>;
}
