import type { Logger } from 'pino';
import { PollingJob } from '../kernel/poller.ts';
import { committedPast } from '../model/handover.ts';
import type { EventStore } from '../analytics/event-store.ts';
import type { Mpid } from '../kernel/ids.ts';
import type { CalculatedEngine } from './calculated-engine.ts';
import type { CalculatedStore, Calculation } from './calculated-store.ts';
import { readHistory } from './history.ts';
import { type ActiveAttribute, withBase } from './user-values.ts';
import { type AttributeState, prune } from './windows.ts';

export interface ActivationDeps {
  engine: CalculatedEngine;
  store: CalculatedStore;
  events: Pick<EventStore, 'scan' | 'scanUsers' | 'tally' | 'putCalculatedValues'>;
  /** Each partition's committed offset: history up to a handover is in the event store once it is committed. */
  committed: (partition: number) => Promise<number>;
  logger: Logger;
  now?: () => number;
  /** Users whose states from history are written together (one transaction, with the progress). */
  usersPerWrite?: number;
  /** How often it looks for revisions to compute. */
  intervalMs?: number;
}

/**
 * Activation from history, on the processor thread: for each active revision still
 * `calculating`, once the processor has committed past its handover (so the event store holds
 * every event at or before it), reads each user's state from those events of the workspace
 * (`history.ts`) and writes it as the user's base state, with the progress, in
 * transactions of `usersPerWrite` users, then the users' values in the event store. A computation interrupted by a crash resumes after the
 * last user written (`cursor`); what it writes replaces, so writing a user again is harmless.
 */
export class Activation extends PollingJob {
  constructor(private readonly deps: ActivationDeps) {
    super(deps.intervalMs ?? 500);
  }

  protected async runOnce(): Promise<void> {
    try {
      await this.deps.engine.refresh();
      await this.deps.engine.adopted();
      for (const attribute of this.deps.engine.registry.all()) await this.calculate(attribute);
    } catch (error) {
      this.deps.logger.error({ err: error }, 'calculated attribute activation failed; it is tried again');
    }
  }

  private async calculate(attribute: ActiveAttribute): Promise<void> {
    const { store, events } = this.deps;
    const started = await store.calculation(attribute.workspaceId, attribute.id, attribute.revision);
    if (!started || started.status === 'calculated' || !(await committedPast(started.handover, this.deps.committed))) return;
    let progress: Calculation = started;
    const now = this.deps.now ?? Date.now;
    const startedAt = performance.now();
    const upTo = new Map(Object.entries(progress.handover).map(([p, o]) => [Number(p), o]));
    const batchSize = this.deps.usersPerWrite ?? 10_000;
    let pending: { mpid: Mpid; state: AttributeState }[] = [];
    const write = async () => {
      if (pending.length === 0) return;
      const at = now();
      const states = pending.map((u) => ({ mpid: u.mpid, state: prune(attribute.definition, u.state, at) }));
      pending = [];
      const mpids = states.map((u) => u.mpid);
      // Their values for analytics first (a crash before the base states are stored computes them again):
      // the new base state with what the stage counted since the handover.
      const users = await this.deps.engine.statesOf(attribute.workspaceId, mpids);
      for (const { mpid, state } of states) users.set(mpid, withBase(users.get(mpid), attribute, state));
      await events.putCalculatedValues(this.deps.engine.valueRows(attribute.workspaceId, users, at));
      progress = { ...progress, usersDone: progress.usersDone + states.length, cursor: states.at(-1)!.mpid };
      await store.putBase(progress, states);
      // The stage holds some of these users: they are read again, with their base states.
      this.deps.engine.forget(attribute.workspaceId, mpids);
    };
    await readHistory({ attribute, upTo, ...(progress.cursor !== null ? { afterMpid: progress.cursor } : {}) }, events, {
      users: async (total) => {
        if (progress.usersTotal === null) progress = { ...progress, usersTotal: total };
      },
      user: async (mpid, state) => {
        pending.push({ mpid, state });
        if (pending.length >= batchSize) await write();
      },
    });
    await write();
    const done: Calculation = { ...progress, status: 'calculated', completedAtMs: now() };
    await store.putCalculation(done);
    this.deps.logger.info(
      { attribute: attribute.name, revision: attribute.revision, users: done.usersDone, ms: Math.round(performance.now() - startedAt) },
      'calculated attribute computed from history',
    );
  }
}

