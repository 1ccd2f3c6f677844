import type { Mpid, WorkspaceId } from '../kernel/ids.ts';

/**
 * The two things a data subject request does to the users it resolved to, as ports: the DSR
 * lifecycle (`dsr-service.ts`, `dsr-scheduler.ts`) calls them once a request is due, and knows
 * nothing of the stores behind them.
 *
 * Both are idempotent: a request that was in progress when Quanta stopped is run again on
 * restart, and running it again finishes what the first run began.
 */

/** What an erasure removed, for the request's record and the progress report. */
export interface ErasureReport {
  /** Users (MPIDs) erased. */
  readonly users: number;
  /** Rows (records, events, states...) removed over every store. */
  readonly rows: number;
}

/** Erases users' data from every store that holds it (the erasure engine, `erasure/`). */
export interface SubjectEraser {
  /**
   * Erases each listed user of the workspace everywhere: identities and their history,
   * profiles, calculated attribute and audience state and memberships, the event store, the
   * quarantine, output queues and dead letters, the catalog's examples and the event log (a
   * tombstone the processor, replays and backfills honour). Resolves once all of it is durable.
   */
  erase(ws: WorkspaceId, mpids: readonly Mpid[], onProgress?: (done: number, total: number) => void): Promise<ErasureReport>;
}

/** An access or portability request's result, once collected. */
export type CollectedData =
  /** The zip (`profile.jsonl`, the batches' `.jsonl` files, or `empty.txt`), written at `path`. */
  | { readonly kind: 'file'; readonly path: string; readonly bytes: number }
  /** No user matched: the results URL answers 404, as the DSR API documents. */
  | { readonly kind: 'none' };

/** Collects users' data into an access/portability result file (`access-export.ts`). */
export interface SubjectCollector {
  /** Writes the result file of request `requestId` (a new file each call, replacing the last). */
  collect(ws: WorkspaceId, mpids: readonly Mpid[], requestId: string): Promise<CollectedData>;
}

/** The identities an erasure forwards, OpenDSR v3 style: identity type (OpenDSR name) to value. */
export type ForwardedIdentities = Readonly<Record<string, string>>;

/** An erasure request as it is forwarded to outputs that take one (DSR API v3 requests only). */
export interface ErasureNotice {
  readonly subjectRequestId: string;
  readonly regulation: 'gdpr' | 'ccpa';
  readonly submittedTime: string;
  /** The users the request resolved to (may be empty: the request's own identities still go). */
  readonly mpids: readonly Mpid[];
  /** The request's identities, enriched with every identity found on the resolved profiles. */
  readonly identities: ForwardedIdentities;
}

/** One output's forwarding state, as the DSR API's status `extensions` shows it. */
export interface ForwardingStatus {
  /** The partner's domain (the output's host). */
  readonly domain: string;
  /** The connection's name. */
  readonly name: string;
  readonly status: 'pending' | 'skipped' | 'sent' | 'failed';
  readonly status_message?: string;
}

/** Forwards an erasure to every output of the workspace that supports it (`connections/`). */
export interface ErasureForwarder {
  /** Sends the notice to each supporting output (retrying as deliveries do) and answers each one's state. */
  forward(ws: WorkspaceId, notice: ErasureNotice): Promise<ForwardingStatus[]>;
}

/** A workspace's privacy settings as the DSR lifecycle reads them (the consent capability keeps them). */
export interface PrivacySettingsReader {
  /** How long an erasure waits before it runs unless the request skips the waiting period (mParticle: 7 days). */
  erasureWaitingPeriodMs(ws: WorkspaceId): number;
}
