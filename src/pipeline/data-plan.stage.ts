import type { Counter } from 'prom-client';
import { eventIdOf } from '../analytics/event-row.ts';
import type { Batch, BatchEvent } from '../model/batch.ts';
import type { LogRecord } from '../model/envelope.ts';
import { anythingBlocked } from '../planning/blocking.ts';
import { matchKey, type ValidationResult } from '../planning/data-plan.ts';
import type { EnforcedPlan, PlanRegistry } from '../planning/plan-registry.ts';
import type { DataQualityStore, NewBlockedBatch, ViolationCount } from '../planning/quality-store.ts';
import { blockMetadata, quarantineBatch } from '../planning/quarantine.ts';
import { type BatchValidation, type Finding, validateBatch } from '../planning/validate.ts';
import type { LiveStreamHub } from './live-stream.ts';
import { CountedOffsets } from './counted-offsets.ts';
import { block, ok, type Stage } from './stage.ts';

export interface DataPlanStageDeps {
  plans: PlanRegistry;
  store: DataQualityStore;
  hub?: LiveStreamHub;
  /** Counts violations by type, and blocked data points by kind. */
  violations?: Pick<Counter, 'inc'>;
}

/** What an event's violations are reported under: its match key, or its event type when no data point can describe it. */
function subjectOf(finding: Finding): string {
  const match = finding.result.data.match;
  return match ? matchKey(match) : 'unplannable';
}

/** Adds `c` to the count of the same plan version, subject, violation type and key. */
function addCount(counts: Map<string, ViolationCount>, c: ViolationCount): void {
  const id = [c.workspaceId, c.planId, c.version, c.subject, c.violationType, c.key].join('\u0000');
  const known = counts.get(id);
  if (!known) {
    counts.set(id, { ...c });
    return;
  }
  known.count += c.count;
  known.firstSeenMs = Math.min(known.firstSeenMs, c.firstSeenMs);
  known.lastSeenMs = Math.max(known.lastSeenMs, c.lastSeenMs);
}

/**
 * The kept batch with each remaining event tagged with its violations (`violations`, beside
 * `event_type` and `data`), and the user attribute and identity results in
 * `context.data_plan.validation_results`.
 */
function tagged(kept: Batch, v: BatchValidation): Batch {
  const byEvent = new Map<number, ValidationResult>();
  const userResults: ValidationResult[] = [];
  for (const f of v.findings) {
    if (f.part === 'event') byEvent.set(f.index, f.result);
    else userResults.push(f.result);
  }
  const dropped = new Set(v.blocked.events.map((e) => e.event_index));
  const originalIndex: number[] = [];
  for (let i = 0; i < kept.events.length + dropped.size; i++) if (!dropped.has(i)) originalIndex.push(i);
  const events = kept.events.map((event, j): BatchEvent => {
    const result = byEvent.get(originalIndex[j]!);
    return result ? { ...event, violations: result.data.validation_errors } : event;
  });
  const named = kept.context?.data_plan;
  if (!named || userResults.length === 0) return { ...kept, events };
  return { ...kept, events, context: { ...kept.context, data_plan: { ...named, validation_results: userResults } } };
}

/**
 * The data-plan stage (first in the pipeline): validates each batch naming a plan in
 * `context.data_plan` against the pinned version, or the latest one active in the batch's
 * environment; tags violations on the events; removes what the version's validation actions
 * block and keeps what it blocked in the quarantine (the batch itself stays in the log) for a backfill; counts
 * violations per plan version. Batches without a plan, or naming one with no enforceable version,
 * pass untouched.
 *
 * Exactly once: quarantined batches are keyed by their log position, and violation counts are
 * committed with each partition's last counted offset ({@link CountedOffsets}), so records re-run
 * after a crash change the batch the same way but are not counted again.
 */
export function dataPlanStage(deps: DataPlanStageDeps): Stage {
  const counted = new CountedOffsets();
  let blocked: NewBlockedBatch[] = [];
  let counts = new Map<string, ViolationCount>();

  function count(record: LogRecord, plan: EnforcedPlan, v: BatchValidation): void {
    for (const f of v.findings) {
      for (const e of f.result.data.validation_errors) {
        addCount(counts, {
          workspaceId: record.workspaceId,
          planId: plan.planId,
          version: plan.version,
          subject: subjectOf(f),
          violationType: e.validation_error_type,
          key: e.key ?? '',
          count: 1,
          firstSeenMs: record.receivedAtMs,
          lastSeenMs: record.receivedAtMs,
        });
        deps.violations?.inc({ type: e.validation_error_type });
      }
    }
  }

  return {
    name: 'data-plan',
    async run(record) {
      const named = record.batch.context?.data_plan;
      if (!named?.plan_id) return ok(record);
      const plan = await deps.plans.resolve(record.workspaceId, named.plan_id, named.plan_version ?? undefined, record.batch.environment);
      if (!plan) return ok(record);
      const v = validateBatch(plan.compiled, record.batch);
      if (v.findings.length === 0) return ok(record);
      const idAt = (i: number) => eventIdOf(record.offset, i).toString();
      const metadata = anythingBlocked(v.blocked) ? blockMetadata(record.batch, v.blocked, idAt) : undefined;
      if (counted.claim(record)) {
        count(record, plan, v);
        if (metadata) {
          blocked.push({
            workspaceId: record.workspaceId,
            inputId: record.inputId,
            mpid: record.mpid,
            planId: plan.planId,
            version: plan.version,
            partition: record.partition,
            offset: record.offset,
            receivedAtMs: record.receivedAtMs,
            wholeBatch: v.blocked.batch,
            metadata,
          });
        }
      }
      if (metadata && deps.hub && deps.hub.size > 0) deps.hub.publishBlocked(record, quarantineBatch(record.batch, plan, metadata, idAt));
      if (!v.batch) return block(`plan ${plan.planId} v${plan.version} blocks the whole batch`);
      return ok({ ...record, batch: tagged(v.batch, v) });
    },
    async flush() {
      if (!counted.hasPending) return;
      const flush = { blocked, violations: [...counts.values()], offsets: counted.take() };
      blocked = [];
      counts = new Map();
      try {
        await deps.store.record(flush);
      } catch (error) {
        // Put them back: the processor retries the flush before it commits.
        blocked = [...flush.blocked, ...blocked];
        for (const c of flush.violations) addCount(counts, c);
        counted.putBack(flush.offsets);
        throw error;
      }
      counted.saved(flush.offsets);
    },
    async recover() {
      counted.load(await deps.store.appliedOffsets());
    },
    async reset() {
      blocked = [];
      counts = new Map();
      counted.reset();
      await deps.store.resetViolations();
    },
  };
}
