import type { Counter } from 'prom-client';
import { eventIdOf } from '../analytics/event-row.ts';
import type { Batch, BatchEvent } from '../model/batch.ts';
import { type LogRecord, withEdits } from '../model/envelope.ts';
import { anythingBlocked } from './blocking.ts';
import type { BuiltInPlans } from './built-in-plans.ts';
import { type DataPlanValidationActions, matchKey, type ValidationErrorType, type ValidationResult } from './data-plan.ts';
import type { EnforcedPlan, PlanRegistry } from './plan-registry.ts';
import type { DataQualityStore, NewBlockedBatch, ViolationCount } from './quality-store.ts';
import { blockMetadata, quarantineBatch } from './quarantine.ts';
import { applyFindings, type BatchValidation, type Finding, findingsOf, validateBatch } from './validate.ts';
import { CountedOffsets } from '../model/counted-offsets.ts';
import { block, ok, type Stage } from '../model/stage.ts';

/** Where blocked data is shown as it is blocked: the live stream's hub (`LiveStreamHub`, which the runtime holds). */
export interface BlockedPublisher {
  /** Watchers subscribed now. */
  readonly size: number;
  publishBlocked(record: LogRecord, quarantined: Batch): void;
}

export interface DataPlanStageDeps {
  plans: PlanRegistry;
  store: DataQualityStore;
  hub?: BlockedPublisher;
  /** The plans batches naming none are checked against, by input (a partner feed's contract). */
  builtIn?: BuiltInPlans;
  /** Counts violations by type, and blocked data points by kind. */
  violations?: Pick<Counter, 'inc'>;
}

/** What an event's violations are reported under: its match key, or its event type when no data point can describe it. */
function subjectOf(finding: Finding): string {
  const match = finding.result.data.match;
  return match ? matchKey(match) : 'unplannable';
}

/** A built-in plan's actions, whatever its stored version says: it only reports. */
const REPORT_ONLY: Readonly<Required<DataPlanValidationActions>> = Object.freeze({ event: 'allow', event_attribute: 'allow', user_attribute: 'allow', user_identity: 'allow' });

type PlanVersionOf = Pick<ViolationCount, 'workspaceId' | 'planId' | 'version'>;

/** Violation counts by plan version, subject, violation type and key. */
class ViolationCounts {
  private readonly byId = new Map<string, ViolationCount>();

  /** The id of a plan version, built once per record for {@link addOne}. */
  static versionId(v: PlanVersionOf): string {
    return `${v.workspaceId}\u0000${v.planId}\u0000${v.version}\u0000`;
  }

  /** Counts one violation seen at `atMs` against `version` (whose {@link versionId} is `versionId`). */
  addOne(version: PlanVersionOf, versionId: string, subject: string, type: ValidationErrorType, key: string, atMs: number): void {
    const known = this.byId.get(`${versionId}${subject}\u0000${type}\u0000${key}`);
    if (!known) {
      this.merge({ ...version, subject, violationType: type, key, count: 1, firstSeenMs: atMs, lastSeenMs: atMs }, versionId);
      return;
    }
    known.count++;
    if (atMs < known.firstSeenMs) known.firstSeenMs = atMs;
    if (atMs > known.lastSeenMs) known.lastSeenMs = atMs;
  }

  /** Adds a count (a new one, or one put back after a failed flush). */
  merge(c: ViolationCount, versionId = ViolationCounts.versionId(c)): void {
    const id = `${versionId}${c.subject}\u0000${c.violationType}\u0000${c.key}`;
    const known = this.byId.get(id);
    if (!known) {
      this.byId.set(id, c);
      return;
    }
    known.count += c.count;
    known.firstSeenMs = Math.min(known.firstSeenMs, c.firstSeenMs);
    known.lastSeenMs = Math.max(known.lastSeenMs, c.lastSeenMs);
  }

  values(): ViolationCount[] {
    return [...this.byId.values()];
  }
}

/**
 * The record with the kept batch, each remaining event tagged with its violations (`violations`,
 * beside `event_type` and `data`), and the user attribute and identity results in
 * `context.data_plan.validation_results`. It tells how it differs from the logged record
 * ({@link withEdits}), so the event store need not serialise it anew.
 */
function tagged(record: LogRecord, kept: Batch, v: BatchValidation): LogRecord {
  const byEvent = new Map<number, ValidationResult>();
  const userResults: ValidationResult[] = [];
  for (const f of v.findings) {
    if (f.part === 'event') byEvent.set(f.index, f.result);
    else userResults.push(f.result);
  }
  const dropped = new Set(v.blocked.events.map((e) => e.event_index));
  const attributesRemoved = new Set(v.blocked.event_attributes.map((a) => a.event_index));
  const eventIndex: number[] = [];
  const changedData = new Set<number>();
  for (let i = 0; i < kept.events.length + dropped.size; i++) {
    if (dropped.has(i)) continue;
    if (attributesRemoved.has(i)) changedData.add(eventIndex.length);
    eventIndex.push(i);
  }
  const events = kept.events.map((event, j): BatchEvent => {
    const result = byEvent.get(eventIndex[j]!);
    return result ? { ...event, violations: result.data.validation_errors } : event;
  });
  const named = kept.context?.data_plan;
  const batch =
    !named || userResults.length === 0
      ? { ...kept, events }
      : { ...kept, events, context: { ...kept.context, data_plan: { ...named, validation_results: userResults } } };
  return withEdits({ ...record, batch }, record, {
    eventIndex,
    changedData,
    userAttributesChanged: Object.keys(v.blocked.user_attributes).length > 0,
    userIdentitiesChanged: Object.keys(v.blocked.user_identities).length > 0,
  });
}

/**
 * The data-plan stage (first in the pipeline): validates each batch naming a plan in
 * `context.data_plan` against the pinned version, or the latest one active in the batch's
 * environment; tags violations on the events; removes what the version's validation actions
 * block and keeps what it blocked in the quarantine (the batch itself stays in the log) for a backfill; counts
 * violations per plan version. A batch naming no plan is validated against its input's built-in
 * plan ({@link BuiltInPlans}: a partner feed's contract) the same way, except that nothing is
 * blocked. Batches without a plan, or naming one with no enforceable version, pass untouched.
 *
 * Exactly once: quarantined batches are keyed by their log position, and violation counts are
 * committed with each partition's last counted offset ({@link CountedOffsets}), so records re-run
 * after a crash change the batch the same way but are not counted again.
 */
export function dataPlanStage(deps: DataPlanStageDeps): Stage {
  const counted = new CountedOffsets();
  let blocked: NewBlockedBatch[] = [];
  let counts = new ViolationCounts();
  /** Violations counted since the metric was last told, by type (a labelled `inc` per violation costs more). */
  const byType = new Map<string, number>();

  /** The plan version a record's batch is validated against, if it names one that can be enforced. */
  async function planOf(record: LogRecord): Promise<EnforcedPlan | undefined> {
    const named = record.batch.context?.data_plan;
    if (!named?.plan_id) return undefined;
    return deps.plans.choose(record.workspaceId, named.plan_id, named.plan_version ?? undefined, record.batch.environment);
  }

  /** The built-in plan of a record's input, for a batch that names no plan. */
  async function builtInOf(record: LogRecord): Promise<EnforcedPlan | undefined> {
    if (record.batch.context?.data_plan?.plan_id) return undefined;
    const planId = deps.builtIn?.planIdOf(record.workspaceId, record.inputId);
    return planId === undefined ? undefined : deps.plans.choose(record.workspaceId, planId, undefined, record.batch.environment);
  }

  function count(record: LogRecord, plan: EnforcedPlan, v: BatchValidation): void {
    const version = { workspaceId: record.workspaceId, planId: plan.planId, version: plan.version };
    const versionId = ViolationCounts.versionId(version);
    for (const f of v.findings) {
      const subject = subjectOf(f);
      for (const e of f.result.data.validation_errors) {
        const type = e.validation_error_type;
        counts.addOne(version, versionId, subject, type, e.key ?? '', record.receivedAtMs);
        byType.set(type, (byType.get(type) ?? 0) + 1);
      }
    }
  }

  return {
    name: 'data-plan',
    // Plans change through the API on another thread: each chunk is validated against the store's plans as they are now.
    prepare: () => deps.plans.refresh(),
    async run(record) {
      const builtIn = await builtInOf(record);
      const plan = builtIn ?? (await planOf(record));
      if (!plan) return ok(record);
      // Compiled on first use; a version that does not compile is not enforced.
      const compiled = plan.compiled;
      if (!compiled) return ok(record);
      // A built-in plan is what a partner says it sends, not what the workspace decided to accept:
      // the workspace did not name it and the partner cannot change what it sends on our word, so
      // blocking would only lose data (no one would backfill it). It reports, whatever actions its
      // stored version has.
      const v = builtIn ? applyFindings(REPORT_ONLY, record.batch, findingsOf(compiled, record.batch)) : validateBatch(compiled, record.batch);
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
      return ok(tagged(record, v.batch, v));
    },
    async flush() {
      if (!counted.hasPending) return;
      const flush = { blocked, violations: counts.values(), offsets: counted.take() };
      blocked = [];
      counts = new ViolationCounts();
      try {
        await deps.store.record(flush);
      } catch (error) {
        // Put them back: the processor retries the flush before it commits.
        blocked = [...flush.blocked, ...blocked];
        for (const c of flush.violations) counts.merge(c);
        counted.putBack(flush.offsets);
        throw error;
      }
      counted.saved(flush.offsets);
      for (const [type, n] of byType) deps.violations?.inc({ type }, n);
      byType.clear();
    },
    async recover() {
      counted.load(await deps.store.appliedOffsets());
    },
    async reset() {
      blocked = [];
      counts = new ViolationCounts();
      byType.clear();
      counted.reset();
      await deps.store.resetViolations();
    },
  };
}
