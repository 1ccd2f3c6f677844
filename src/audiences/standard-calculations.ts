import type { Logger } from 'pino';
import type { EventStore } from '../analytics/event-store.ts';
import type { Mpid } from '../kernel/ids.ts';
import { PollingJob } from '../kernel/poller.ts';
import { type Audience, type AudienceCalculation, type AudienceStore, type DateRange, startedCalculation } from './audience-store.ts';
import { audiencesNamed } from './definition.ts';
import type { AudienceHistory, AudienceSelection, SelectionCounts } from './history-selection.ts';

export interface StandardCalculationsDeps {
  store: Pick<AudienceStore, 'active' | 'revision' | 'calculation' | 'putCalculation' | 'get' | 'members' | 'replaceMembers'>;
  history: Pick<AudienceHistory, 'selectUsers'>;
  logger: Logger;
  now?: () => number;
  intervalMs?: number;
  /** How often a running query's progress is written (ms). */
  progressEveryMs?: number;
}

const DAY_MS = 86_400_000;

/** A date range's instants: from the start of its first day to the end of its last (UTC). */
export function rangeOf(range: DateRange | null | undefined): { fromMs: number | null; toMs: number | null } {
  const day = (d: string) => Date.parse(`${d}T00:00:00Z`);
  return { fromMs: range?.start ? day(range.start) : null, toMs: range?.end ? day(range.end) + DAY_MS : null };
}

/** Every member of the audiences a definition names, read from the store a page at a time. */
export async function namedMembers(store: Pick<AudienceStore, 'members'>, audience: Audience): Promise<Map<number, Mpid[]>> {
  const members = new Map<number, Mpid[]>();
  for (const id of new Set(audiencesNamed(audience.definition))) {
    const all: Mpid[] = [];
    for (let after: Mpid | null = null; ; ) {
      const page = await store.members(audience.workspaceId, id, after, 10_000);
      all.push(...page.map((m) => m.mpid));
      if (page.length < 10_000) break;
      after = page[page.length - 1]!.mpid;
    }
    members.set(id, all);
  }
  return members;
}

/** What the event store is asked for an audience: its definition over its date range, windows ending now. */
export async function selectionOf(store: Pick<AudienceStore, 'members'>, audience: Audience, nowMs: number, samplePercent?: number): Promise<AudienceSelection> {
  return {
    workspaceId: audience.workspaceId,
    definition: audience.definition,
    ...rangeOf(audience.kind === 'standard' ? audience.date_range : null),
    nowMs,
    members: await namedMembers(store, audience),
    ...(samplePercent === undefined ? {} : { samplePercent }),
  };
}

/**
 * Standard audiences' calculations, on the processor thread (which holds the event store): an
 * activated standard audience (its revision's calculation `calculating`, or none, as after a
 * reset) is computed by one query over the event store (`AudienceHistory.selectUsers`), its progress
 * written as the query runs; its members are then replaced by those selected, each user who
 * joins or leaves a membership change (`AudienceStore.replaceMembers`), and the calculation is
 * `calculated`. It is not kept current: activating it again calculates it again. A calculation
 * the process stopped in is run again from the start: it writes nothing until it is done.
 */
export class StandardCalculations extends PollingJob {
  private readonly now: () => number;
  /** The store's revision at the last look: definitions (and so activations) change it. */
  private seen: number | undefined;

  constructor(private readonly deps: StandardCalculationsDeps) {
    super(deps.intervalMs ?? 1000);
    this.now = deps.now ?? Date.now;
  }

  /** Looks again whatever the store's revision (after a replay reset the calculations); resolves when done. */
  override runDue(): Promise<void> {
    this.seen = undefined;
    return super.runDue();
  }

  protected async runOnce(): Promise<void> {
    try {
      const revision = await this.deps.store.revision();
      if (revision === this.seen) return;
      let done = true;
      for (const audience of await this.deps.store.active()) {
        if (audience.kind !== 'standard') continue;
        const calculation = await this.deps.store.calculation(audience.workspaceId, audience.id, audience.revision);
        if (calculation?.status === 'calculated') continue;
        done = (await this.calculate(audience, calculation ?? startedCalculation(audience, this.now()))) && done;
      }
      if (done) this.seen = revision;
    } catch (error) {
      this.deps.logger.error({ err: error }, 'a standard audience calculation failed; it is tried again');
    }
  }

  /** Calculates one revision; false when the audience changed meanwhile (the next look calculates its new revision). */
  private async calculate(audience: Audience, started: AudienceCalculation): Promise<boolean> {
    const { store, history, logger } = this.deps;
    const startedAt = performance.now();
    const at = this.now();
    let progress: AudienceCalculation = { ...started, phase: 'query', percent: 0 };
    await store.putCalculation(progress);
    let written = 0;
    const onProgress = (percent: number) => {
      if (performance.now() - written < (this.deps.progressEveryMs ?? 1000)) return;
      written = performance.now();
      progress = { ...progress, percent };
      void store.putCalculation(progress).catch((error: unknown) => logger.warn({ err: error }, 'a standard audience calculation progress was not written'));
    };
    const members: Mpid[] = [];
    const counts: SelectionCounts = await history.selectUsers(
      await selectionOf(store, audience, at),
      async (chunk) => void members.push(...chunk),
      onProgress,
    );
    const current = await store.get(audience.workspaceId, audience.id);
    if (current?.revision !== audience.revision) return false;
    const done: AudienceCalculation = { ...progress, status: 'calculated', percent: 100, usersDone: counts.users, usersTotal: counts.users, completedAtMs: this.now() };
    if (!(await store.replaceMembers(audience.workspaceId, audience.id, members, at, done))) return false;
    logger.info(
      { audience: audience.id, workspace: audience.workspaceId, users: counts.users, members: counts.members, ms: Math.round(performance.now() - startedAt) },
      'standard audience calculated',
    );
    return true;
  }
}

/** `GET .../size?estimate=true`: an audience's size from a sample of the workspace's users. */
export interface SizeEstimate {
  audience_id: number;
  size: number;
  estimate: true;
  /** The share of users decided: all of them in a small workspace. */
  sample_percent: number;
  sampled_users: number;
  sampled_members: number;
  /** Too few members in the sample for the size to mean much (mParticle's estimator shows "~"). */
  too_small: boolean;
}

/** Workspaces of up to this many users are decided whole: that is quick, and exact. */
const EXACT_UP_TO = 10_000;
const SAMPLE_PERCENT = 10;
/** Fewer sampled members than this and the estimate is only an order of magnitude. */
const MEANINGFUL_MEMBERS = 10;

/**
 * An audience's size, estimated by deciding its definition over the event store's history for a
 * sample of the users (one in ten, by a hash of the MPID; every user of a small workspace), as
 * mParticle's estimator does before an audience is calculated. A real-time audience is estimated
 * over all its history, a standard one over its date range.
 */
export async function estimateSize(
  store: Pick<AudienceStore, 'members'>,
  stores: { history: Pick<AudienceHistory, 'selectUsers'>; events: Pick<EventStore, 'userCount'> },
  audience: Audience,
  nowMs: number,
): Promise<SizeEstimate> {
  const users = await stores.events.userCount(audience.workspaceId);
  const percent = users <= EXACT_UP_TO ? 100 : SAMPLE_PERCENT;
  const counts = await stores.history.selectUsers(await selectionOf(store, audience, nowMs, percent), async () => undefined);
  const size = counts.users === 0 ? 0 : Math.round((counts.members * users) / counts.users);
  return {
    audience_id: audience.id,
    size,
    estimate: true,
    sample_percent: percent,
    sampled_users: counts.users,
    sampled_members: counts.members,
    too_small: percent < 100 && counts.members < MEANINGFUL_MEMBERS,
  };
}
