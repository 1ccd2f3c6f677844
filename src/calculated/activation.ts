import type { Logger } from 'pino';
import { Poller } from '../kernel/poller.ts';
import type { EventScan, EventStore, ScannedEvent } from '../analytics/event-store.ts';
import type { Mpid } from '../kernel/ids.ts';
import type { CalculatedEngine } from './calculated-engine.ts';
import type { CalculatedStore, Calculation } from './calculated-store.ts';
import type { ActiveAttribute } from './user-values.ts';
import { type AttributeState, newState, observe, prune, rangeOf } from './windows.ts';

export interface ActivationDeps {
  engine: CalculatedEngine;
  store: CalculatedStore;
  events: Pick<EventStore, 'scan' | 'scanUsers'>;
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
 * every event at or before it), reads those events of the workspace from the event store, user by
 * user, and writes each user's state from them as its base state, with the progress, in
 * transactions of `usersPerWrite` users. A computation interrupted by a crash resumes after the
 * last user written (`cursor`); what it writes replaces, so writing a user again is harmless.
 */
export class Activation {
  private readonly poller: Poller;

  constructor(private readonly deps: ActivationDeps) {
    this.poller = new Poller(() => this.calculateReady(), deps.intervalMs ?? 500);
  }

  /** Looks for work every `intervalMs` until stopped. */
  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** Computes every revision that is ready; resolves when done (one run at a time). */
  runDue(): Promise<void> {
    return this.poller.run();
  }

  private async calculateReady(): Promise<void> {
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
    let progress = await store.calculation(attribute.workspaceId, attribute.id, attribute.revision);
    if (!progress || progress.status === 'calculated' || !(await this.historyStored(progress))) return;
    const now = this.deps.now ?? Date.now;
    const upTo = new Map(Object.entries(progress.handover).map(([p, o]) => [Number(p), o]));
    const query = scanOf(attribute, upTo);
    if (progress.usersTotal === null) progress = { ...progress, usersTotal: await events.scanUsers(query) };
    const after = progress.cursor === null ? undefined : BigInt(progress.cursor);
    const batchSize = this.deps.usersPerWrite ?? 1000;
    let pending: { mpid: Mpid; state: AttributeState }[] = [];
    let user: { mpid: Mpid; state: AttributeState } | undefined;
    const write = async () => {
      if (pending.length === 0) return;
      const at = now();
      const states = pending.map((u) => ({ mpid: u.mpid, state: prune(attribute.definition, u.state, at) }));
      progress = { ...progress!, usersDone: progress!.usersDone + states.length, cursor: states.at(-1)!.mpid };
      await store.putBase(progress, states);
      // The stage holds some of these users: they are read again, with their base states.
      this.deps.engine.forget(attribute.workspaceId, states.map((u) => u.mpid));
      pending = [];
    };
    await events.scan(query, async (chunk: ScannedEvent[]) => {
      for (const e of chunk) {
        if (after !== undefined && BigInt(e.mpid) <= after) continue;
        if (user?.mpid !== e.mpid) {
          if (user) pending.push(user);
          user = { mpid: e.mpid, state: newState(attribute.definition) };
        }
        user.state = observe(attribute.definition, user.state, { event_type: e.eventType, data: e.data }, { timestamp_unixtime_ms: e.timestampMs }, e.timestampMs);
      }
      if (pending.length >= batchSize) await write();
    });
    if (user) pending.push(user);
    await write();
    const done: Calculation = { ...progress, status: 'calculated', completedAtMs: now() };
    await store.putCalculation(done);
    this.deps.logger.info({ attribute: attribute.name, revision: attribute.revision, users: done.usersDone }, 'calculated attribute computed from history');
  }

  /** Whether every partition is committed past the handover. */
  private async historyStored(progress: Calculation): Promise<boolean> {
    for (const [partition, offset] of Object.entries(progress.handover)) {
      if ((await this.deps.committed(Number(partition))) < offset) return false;
    }
    return true;
  }
}

/**
 * What to read of the event store for an attribute: its event type (and name where the event
 * store has it as a column), since its date range's start, up to the handover. A superset of
 * what the attribute counts: each event is still matched as the stage matches it.
 */
function scanOf(attribute: ActiveAttribute, upTo: ReadonlyMap<number, number>): EventScan {
  const { datapoint } = attribute.definition;
  const named = datapoint.event_name !== null && (datapoint.event_type === 'custom_event' || datapoint.event_type === 'screen_view');
  const from = rangeOf(attribute.definition).fromMs;
  return {
    workspaceId: attribute.workspaceId,
    eventTypes: [datapoint.event_type],
    upTo,
    ...(named ? { eventName: datapoint.event_name! } : {}),
    ...(datapoint.event_type === 'custom_event' && datapoint.custom_event_type !== null ? { customEventType: datapoint.custom_event_type } : {}),
    ...(Number.isFinite(from) ? { sinceMs: from } : {}),
  };
}
