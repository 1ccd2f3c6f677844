import type { WorkspaceId } from '../kernel/ids.ts';
import { COMPLETION_MARGIN_MS, type DsrRecord, type DsrSubmission } from './dsr.ts';
import { type CancelBody, callbacksOf, fingerprintOf, type StatusBody, statusBody, submitBody, type SubmitBody } from './dsr-bodies.ts';
import { DsrNotCancellable, DsrRequestExists, DsrRequestNotFound, DsrRequestOpen, DsrResultsGone, DsrResultsNotFound } from './dsr-errors.ts';
import type { DsrStore } from './dsr-store.ts';

export interface DsrServiceDeps {
  store: DsrStore;
  /** Where clients reach Quanta: results URLs start with it. */
  publicUrl: string;
  /** How long a workspace's erasures wait before they run (its privacy settings). */
  waitingPeriodMs: (ws: WorkspaceId) => number;
  now?: () => number;
  /** Told of each status a request enters (metrics). */
  onStatus?: (record: DsrRecord) => void;
}

/**
 * The DSR API's requests: submitted (pending, due at once or after the erasure waiting period),
 * read, listed by group, cancelled while pending, and their results found. Running them is the
 * scheduler's (`dsr-scheduler.ts`).
 */
export class DsrService {
  private readonly now: () => number;

  constructor(private readonly deps: DsrServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Keeps a new request, pending, and queues its first callbacks. A request id the workspace
   * already has is a 400, an open request with the same identities and type a 409.
   */
  async submit(ws: WorkspaceId, s: DsrSubmission): Promise<SubmitBody> {
    const now = this.now();
    const wait = s.requestType === 'erasure' && !s.skipWaitingPeriod ? this.deps.waitingPeriodMs(ws) : 0;
    const record: DsrRecord = {
      ...s,
      workspaceId: ws,
      fingerprint: fingerprintOf(s),
      status: 'pending',
      history: [{ status: 'pending', atMs: now }],
      receivedAtMs: now,
      dueAtMs: now + wait,
      expectedCompletionMs: now + wait + COMPLETION_MARGIN_MS,
      resolution: null,
      forwarding: null,
      erasure: null,
      results: null,
      resultsExpireAtMs: null,
      resultsRemovedAtMs: null,
      attempts: 0,
      lastError: null,
    };
    const outcome = await this.deps.store.create(record, callbacksOf(record, this.deps.publicUrl));
    switch (outcome.kind) {
      case 'created':
        this.deps.onStatus?.(record);
        return submitBody(record);
      case 'exists':
        throw new DsrRequestExists();
      case 'open':
        throw new DsrRequestOpen(outcome.subjectRequestId);
      default: {
        const never: never = outcome;
        throw new Error(`unknown create outcome ${JSON.stringify(never)}`);
      }
    }
  }

  /** A request of the workspace; another workspace's is as unknown as one never made (404). */
  async request(ws: WorkspaceId, subjectRequestId: string): Promise<DsrRecord> {
    const record = await this.deps.store.request(ws, subjectRequestId);
    if (!record) throw new DsrRequestNotFound();
    return record;
  }

  async status(ws: WorkspaceId, subjectRequestId: string): Promise<StatusBody> {
    return statusBody(await this.request(ws, subjectRequestId), this.deps.publicUrl);
  }

  async group(ws: WorkspaceId, groupId: string): Promise<StatusBody[]> {
    return (await this.deps.store.group(ws, groupId)).map((r) => statusBody(r, this.deps.publicUrl));
  }

  /** Cancels a pending request (and tells its callback URLs); any other status is a 400 naming it. */
  async cancel(ws: WorkspaceId, subjectRequestId: string): Promise<CancelBody> {
    const record = await this.request(ws, subjectRequestId);
    if (record.status !== 'pending') throw new DsrNotCancellable(record.status);
    const now = this.now();
    const cancelled: DsrRecord = { ...record, status: 'cancelled', expectedCompletionMs: null, history: [...record.history, { status: 'cancelled', atMs: now }] };
    const moved = await this.deps.store.transition(ws, subjectRequestId, ['pending'], { status: 'cancelled', atMs: now }, { expectedCompletionMs: null }, callbacksOf(cancelled, this.deps.publicUrl));
    // The scheduler started it meanwhile.
    if (!moved) throw new DsrNotCancellable((await this.request(ws, subjectRequestId)).status);
    this.deps.onStatus?.(moved);
    return { expected_completion_time: null, received_time: new Date(now).toISOString(), subject_request_id: subjectRequestId, controller_id: String(ws) };
  }

  /**
   * The result file of a completed access or portability request: 404 while there is none (not
   * complete, an erasure, or no user matched), 410 once its 7 days are over.
   */
  async results(ws: WorkspaceId, subjectRequestId: string): Promise<{ path: string; bytes: number }> {
    const r = await this.request(ws, subjectRequestId);
    if (r.requestType === 'erasure') throw new DsrResultsNotFound('An erasure request has no results to download.');
    if (r.status !== 'completed' || !r.results) throw new DsrResultsNotFound(`The request is ${r.status}; its results can be downloaded once it is completed.`);
    if (r.resultsRemovedAtMs !== null || (r.resultsExpireAtMs !== null && this.now() >= r.resultsExpireAtMs)) throw new DsrResultsGone();
    if (r.results.kind === 'none') throw new DsrResultsNotFound('No records could be found matching the identities in the request.');
    return { path: r.results.path, bytes: r.results.bytes };
  }
}
