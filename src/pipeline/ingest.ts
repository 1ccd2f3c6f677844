import { type ErrorDetail, problem } from '../kernel/errors.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Batch, SourceChannel } from '../model/batch.ts';
import { parseBatch } from '../model/batch-parser.ts';
import { batchPlatformOf } from '../apps/app-platforms.ts';
import type { Input } from '../platform/platform-store.ts';
import type { RateLimiter } from '../platform/rate-limiter.ts';
import type { Envelope } from '../model/envelope.ts';
import type { EventLog } from './event-log.ts';
import { BatchInvalid, BatchNotObject, BulkEmpty, BulkNotArray, BulkTooLarge } from './ingest-errors.ts';

/**
 * Resolves the user a batch belongs to, at the edge, before the log append (DESIGN.md's data
 * flow): IDSync. Called for every batch, those that name their `mpid` included. The batches of
 * one request are resolved concurrently, in order: an implementation must make its lookup and
 * in-memory change before its first `await`, so a later batch of the same user sees an earlier
 * one's profile.
 */
export interface IdentityResolver {
  resolve(workspaceId: WorkspaceId, batch: Batch): Mpid | Promise<Mpid>;
}

export interface IngestLimits {
  batchBytes: number;
  batchesPerBulk: number;
}

/**
 * A rule another capability adds to the write path (the data plans a batch names must exist):
 * it throws a coded error (400) for a request's valid batches it refuses, naming each batch when
 * `bulk`; nothing of a refused request is appended.
 */
export type BatchCheck = (workspaceId: WorkspaceId, batches: readonly Batch[], bulk: boolean) => Promise<void>;

export interface IngestDeps {
  log: EventLog;
  resolver: IdentityResolver;
  /** The per-input batches-per-second limit; a request over it is refused (429) before any append. */
  rateLimiter?: RateLimiter;
  /** Told of every accepted request (metrics), whichever route it came through. */
  onAccepted?: (input: Input, result: IngestResult) => void;
  limits: IngestLimits;
  now?: () => number;
}

export interface IngestRequest {
  input: Input;
  /** The parsed JSON body: one batch, or an array of them when `bulk`. */
  body: unknown;
  /** Size of the request body in bytes (Infinity when unknown, e.g. chunked). */
  bodyBytes: number;
  bulk: boolean;
  historical?: boolean;
  channel: SourceChannel;
  ip: string | null;
  /** Quanta re-sending data it already held (a backfill): not counted against the input's rate limit. */
  internal?: boolean;
}

export interface IngestResult {
  batches: number;
  events: number;
  duplicates: number;
  /** How much of the input's rate limit is used (`X-MP-Rate-Limit-Percentage-Used`); 0 without one. */
  rateLimitPercentUsed: number;
}

/** Historical batches must be at least this old (HTTP API page). */
const HISTORICAL_MIN_AGE_MS = 72 * 3600_000;

/**
 * The Events API's write path: validate every batch, resolve its user, and append them all to
 * the log in one durable step. Resolves only once the batches are durable (acknowledged =
 * durable); throws a coded error, having appended nothing, for any invalid batch.
 */
export class IngestService {
  private readonly now: () => number;
  private readonly checks: BatchCheck[] = [];

  constructor(private readonly deps: IngestDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Adds a rule every request's batches must pass (see {@link BatchCheck}). */
  addCheck(check: BatchCheck): void {
    this.checks.push(check);
  }

  /** Counts `cost` batches against the input's rate as `ingest` does (429 when over): for APIs that share it (CA seeding). */
  takeRate(input: Input, cost: number): number { return this.deps.rateLimiter?.take(input.id, input.rateLimitPerSecond, cost) ?? 0; }

  async ingest(req: IngestRequest): Promise<IngestResult> {
    const batches = this.parse(req);
    // A debug feed's data is development data, whatever its batches say (the feed's `is_debug`).
    if (req.input.feed?.isDebug) for (const batch of batches) batch.environment = 'development';
    // An app platform's batches are of its platform (mParticle knows it by the key) where they name none themselves.
    const platform = req.input.appPlatform && batchPlatformOf(req.input.appPlatform.os);
    if (platform) for (const batch of batches) if (!batch.device_info?.platform && !batch.application_info?.os) batch.device_info = { ...batch.device_info, platform };
    for (const check of this.checks) await check(req.input.workspaceId, batches, req.bulk);
    const rateLimitPercentUsed = req.internal ? 0 : (this.deps.rateLimiter?.take(req.input.id, req.input.rateLimitPerSecond, batches.length) ?? 0);
    const receivedAtMs = this.now();
    const envelopes: Envelope[] = [];
    // All batches are resolved at once, so their identity writes share one commit.
    const mpids = await Promise.all(batches.map((batch) => this.deps.resolver.resolve(req.input.workspaceId, batch)));
    batches.forEach((batch, i) => {
      envelopes.push({
        workspaceId: req.input.workspaceId,
        inputId: req.input.id,
        mpid: mpids[i]!,
        receivedAtMs,
        channel: req.channel,
        historical: req.historical ?? false,
        ip: batch.ip ?? req.ip,
        batch,
        dedupKey: batch.source_request_id ? `${req.input.id}:${batch.source_request_id}` : null,
      });
    });
    const outcomes = await this.deps.log.append(envelopes);
    let events = 0;
    let duplicates = 0;
    outcomes.forEach((o, i) => {
      if (o.duplicate) duplicates++;
      else events += envelopes[i]!.batch.events.length;
    });
    const result = { batches: envelopes.length, events, duplicates, rateLimitPercentUsed };
    this.deps.onAccepted?.(req.input, result);
    return result;
  }

  private parse(req: IngestRequest): Batch[] {
    const { limits } = this.deps;
    let raw: unknown[];
    if (req.bulk) {
      if (!Array.isArray(req.body)) throw new BulkNotArray();
      if (req.body.length === 0) throw new BulkEmpty();
      if (req.body.length > limits.batchesPerBulk) throw new BulkTooLarge(req.body.length, limits.batchesPerBulk);
      raw = req.body;
    } else {
      if (Array.isArray(req.body)) throw new BatchNotObject();
      raw = [req.body];
    }
    const problems: ErrorDetail[] = [];
    const batches: Batch[] = [];
    raw.forEach((value, i) => {
      const where = req.bulk ? `[${i}]` : '';
      if (req.bodyBytes > limits.batchBytes && JSON.stringify(value).length > limits.batchBytes) {
        problems.push(problem(`${where ? `Batch ${where}` : 'The batch'} is larger than ${limits.batchBytes / 1024} KB; split it into smaller batches.`));
        return;
      }
      const r = parseBatch(value, where);
      if (!r.ok) problems.push(...r.problems);
      else {
        if (req.historical) problems.push(...this.historicalProblems(r.batch, where));
        batches.push(r.batch);
      }
    });
    if (problems.length > 0) throw new BatchInvalid(problems);
    return batches;
  }

  private historicalProblems(batch: Batch, where: string): ErrorDetail[] {
    const at = where ? `${where}.` : '';
    if (batch.events.length === 0) return [problem(`${at}events: a historical batch must contain events.`)];
    const cutoff = this.now() - HISTORICAL_MIN_AGE_MS;
    return batch.events.flatMap((e, i): ErrorDetail[] => {
      const ts = e.data.timestamp_unixtime_ms;
      if (typeof ts !== 'number') {
        return [problem(`${at}events[${i}].data.timestamp_unixtime_ms is required for historical data.`)];
      }
      if (ts > cutoff) {
        return [problem(`${at}events[${i}].data.timestamp_unixtime_ms is less than 72 hours old; send it to /v2/bulkevents.`)];
      }
      return [];
    });
  }
}
