import { BackfillInputGone, PlanNotFound, PlanVersionNotFound } from './plan-errors.ts';
import type { InputId, WorkspaceId } from '../kernel/ids.ts';
import type { Batch } from '../model/batch.ts';
import type { Input } from '../platform/platform-store.ts';
import { anythingBlocked } from './blocking.ts';
import type { PlanRegistry } from './plan-registry.ts';
import type { BlockedQuery, DataQualityStore } from './quality-store.ts';
import { backfillBatch } from './quarantine.ts';
import type { QuarantineReader } from './quarantine-reader.ts';
import { validateBatch } from './validate.ts';

/** Sends batches through the Events API's write path (validation, IDSync, the durable log). */
export type Resend = (input: Input, batches: Batch[]) => Promise<{ duplicates: number }>;

export interface BackfillRequest {
  planId: string;
  /** Only data blocked under this version (default: every version). */
  blockedVersion?: number;
  /** The version the data is validated against again (default: the plan's latest). */
  targetVersion?: number;
  fromMs?: number;
  toMs?: number;
  /** Also send the events whose attributes were blocked, whole: the guide warns this duplicates them. */
  includeEventAttributes?: boolean;
  /** At most this many blocked batches in this call; call again while `remaining` > 0. */
  limit: number;
  /** Start after this blocked batch id (`last_id` of the previous call): how a dry run pages. */
  after?: number;
  /** Count what would happen; send and mark nothing. */
  dryRun?: boolean;
}

export interface BackfillResult {
  target_version: number;
  /** Blocked batches looked at in this call. */
  examined: number;
  /** Batches sent again (one per blocked batch that had something to send). */
  sent: number;
  /** Of those, how many the target version still blocks something of (they are blocked again). */
  blocked_again: number;
  /** Blocked batches with nothing to send (only event attributes, without `include_event_attributes`). */
  nothing_to_send: number;
  /** Blocked batches still waiting after this call (after `last_id` on a dry run). */
  remaining: number;
  /** The id of the last blocked batch looked at, for `after`; null when none. */
  last_id: number | null;
}

export interface BackfillDeps {
  store: DataQualityStore;
  quarantine: QuarantineReader;
  plans: PlanRegistry;
  /** The input a blocked batch came in on; the backfill sends it in again through that input. */
  inputOf: (id: InputId) => Input | undefined;
  resend: Resend;
  now?: () => number;
}

/** At most this many batches go into one resend: the Events API's bulk limit. */
const RESEND_CHUNK = 100;

/**
 * The blocked data backfill (mParticle's backfill guide, done by Quanta itself): the blocked
 * parts of each quarantined batch are sent again through the Events API's write path under the
 * same user (MPID), with their original event timestamps and no `batch_id`, naming the target plan
 * version; the processor validates them again, so what the version still does not allow is
 * blocked again. Each blocked batch is sent once (`source_request_id` = `quanta-backfill-{id}`,
 * so a retry after a crash is deduplicated) and marked backfilled.
 */
export class Backfill {
  private readonly now: () => number;

  constructor(private readonly deps: BackfillDeps) {
    this.now = deps.now ?? Date.now;
  }

  async run(ws: WorkspaceId, req: BackfillRequest): Promise<BackfillResult> {
    const target = await this.targetVersion(ws, req);
    const query: BlockedQuery = {
      planId: req.planId,
      pending: true,
      ...(req.blockedVersion !== undefined ? { version: req.blockedVersion } : {}),
      ...(req.fromMs !== undefined ? { fromMs: req.fromMs } : {}),
      ...(req.toMs !== undefined ? { toMs: req.toMs } : {}),
    };
    const blocked = await this.deps.quarantine.list(ws, { ...query, ...(req.after !== undefined ? { afterId: req.after } : {}) }, req.limit);
    const lastId = blocked.at(-1)?.id ?? null;
    const result: BackfillResult = {
      target_version: target,
      examined: blocked.length,
      sent: 0,
      blocked_again: 0,
      nothing_to_send: 0,
      remaining: 0,
      last_id: lastId,
    };
    const enforced = await this.deps.plans.resolve(ws, req.planId, target, 'production');
    const byInput = new Map<InputId, { batches: Batch[]; ids: number[] }>();
    const done: number[] = [];
    for (const b of blocked) {
      const batch = backfillBatch(b.batch, req.includeEventAttributes ?? false);
      if (!batch) {
        result.nothing_to_send++;
        done.push(b.id);
        continue;
      }
      const resent: Batch = {
        ...batch,
        mpid: b.mpid,
        source_request_id: `quanta-backfill-${b.id}`,
        context: { ...batch.context, data_plan: { plan_id: req.planId, plan_version: target } },
      };
      if (enforced && anythingBlocked(validateBatch(enforced.compiled, resent).blocked)) result.blocked_again++;
      result.sent++;
      const group = byInput.get(b.inputId) ?? { batches: [], ids: [] };
      group.batches.push(resent);
      group.ids.push(b.id);
      byInput.set(b.inputId, group);
    }
    if (!req.dryRun) {
      for (const [id, group] of byInput) {
        const input = this.deps.inputOf(id);
        if (!input) throw new BackfillInputGone(id);
        for (let i = 0; i < group.batches.length; i += RESEND_CHUNK) {
          await this.deps.resend(input, group.batches.slice(i, i + RESEND_CHUNK));
          await this.deps.store.markBackfilled(ws, group.ids.slice(i, i + RESEND_CHUNK), this.now());
        }
      }
      await this.deps.store.markBackfilled(ws, done, this.now());
    }
    // A dry run marks nothing: what remains is what lies after this page.
    const after = req.dryRun ? (lastId ?? req.after) : undefined;
    result.remaining = await this.deps.store.countBlocked(ws, { ...query, ...(after !== undefined ? { afterId: after } : {}) });
    return result;
  }

  private async targetVersion(ws: WorkspaceId, req: BackfillRequest): Promise<number> {
    const versions = await this.deps.plans.versions(ws, req.planId);
    if (!versions) throw new PlanNotFound(ws, req.planId);
    if (req.targetVersion === undefined) return Math.max(...versions);
    if (!versions.includes(req.targetVersion)) {
      throw new PlanVersionNotFound(ws, req.planId, req.targetVersion);
    }
    return req.targetVersion;
  }
}
