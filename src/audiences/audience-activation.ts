import type { Logger } from 'pino';
import type { EventStore } from '../analytics/event-store.ts';
import type { Mpid } from '../kernel/ids.ts';
import { PollingJob } from '../kernel/poller.ts';
import { committedPast } from '../model/handover.ts';
import type { EventType } from '../model/event-types.ts';
import type { Audience, AudienceCalculation, AudienceStore, EventTrack } from './audience-store.ts';
import type { AudiencesStage, HistoryOfUser } from './audiences.stage.ts';
import { leavesOf } from './definition.ts';
import { planTracks, trackEvent } from './event-tracks.ts';

export interface AudienceActivationDeps {
  stage: AudiencesStage;
  store: Pick<AudienceStore, 'calculation'>;
  events: Pick<EventStore, 'scan' | 'users' | 'userCount'>;
  /** Each partition's committed offset: history up to a handover is in the event store once it is committed. */
  committed: (partition: number) => Promise<number>;
  logger: Logger;
  now?: () => number;
  /** Users per write (one transaction, with the progress). */
  usersPerWrite?: number;
  intervalMs?: number;
}

/**
 * An activated audience's initial calculation, on the processor thread, once the processor has
 * committed past the revision's handover (the event store then holds every event at or before
 * it), in two passes, each resumable after the last user written (`cursor`, written with the
 * users):
 *
 * 1. `events`: the event store's events of the audience's criteria, up to the handover, by user,
 *    are counted into the revision's tracks exactly as the stage counts live events, and added to
 *    the users' tracks (which hold the events after the handover);
 * 2. `users`: every user of the workspace (the event store's batches) is decided, with the
 *    identities of their latest batch, the profile and the calculated values: the revision's
 *    first members. The revision is then `calculated`, and decided live from then on.
 */
export class AudienceActivation extends PollingJob {
  constructor(private readonly deps: AudienceActivationDeps) {
    super(deps.intervalMs ?? 500);
  }

  protected async runOnce(): Promise<void> {
    try {
      // The revisions the stage has met and not yet seen calculated (it reloads the definitions).
      for (const audience of this.deps.stage.awaitingCalculation()) {
        const calculation = await this.deps.store.calculation(audience.workspaceId, audience.id, audience.revision);
        if (calculation?.status === 'calculating' && calculation.handover !== null && (await committedPast(calculation.handover, this.deps.committed))) {
          await this.calculate(audience, calculation);
        }
      }
    } catch (error) {
      this.deps.logger.error({ err: error }, 'audience activation failed; it is tried again');
    }
  }

  private async calculate(audience: Audience, started: AudienceCalculation): Promise<void> {
    const { stage, events } = this.deps;
    const perWrite = this.deps.usersPerWrite ?? 1000;
    const startedAt = performance.now();
    let progress = started;
    const handover = new Map(Object.entries(started.handover ?? {}).map(([p, o]) => [Number(p), o]));
    if (progress.phase === 'events') {
      const plan = planTracks([audience]);
      let pending: HistoryOfUser[] = [];
      let user: HistoryOfUser | undefined;
      const flush = async () => {
        if (pending.length === 0) return;
        progress = { ...progress, cursor: pending.at(-1)!.mpid };
        await stage.addHistory(audience, pending, progress);
        pending = [];
      };
      await events.scan(
        { workspaceId: audience.workspaceId, eventTypes: eventTypesOf(audience), upTo: handover, ...(progress.cursor !== null ? { afterMpid: progress.cursor } : {}) },
        async (chunk) => {
          for (const e of chunk) {
            if (user?.mpid !== e.mpid) {
              if (user && Object.keys(user.tracks).length > 0) pending.push(user);
              if (pending.length >= perWrite) await flush();
              user = { mpid: e.mpid, tracks: {} as Record<string, EventTrack> };
            }
            trackEvent(plan, user.tracks, { event_type: e.eventType, data: e.data }, e.timestampMs);
          }
        },
      );
      if (user && Object.keys(user.tracks).length > 0) pending.push(user);
      await flush();
      progress = { ...progress, phase: 'users', cursor: null, usersTotal: await events.userCount(audience.workspaceId) };
    }
    for (;;) {
      const page = await events.users(audience.workspaceId, progress.cursor, perWrite);
      if (page.length === 0) break;
      progress = { ...progress, cursor: page.at(-1)!.mpid as Mpid, usersDone: progress.usersDone + page.length };
      await stage.decideUsers(audience.workspaceId, page, progress);
    }
    const done: AudienceCalculation = { ...progress, status: 'calculated', completedAtMs: (this.deps.now ?? Date.now)() };
    await stage.decideUsers(audience.workspaceId, [], done);
    this.deps.logger.info({ audience: audience.name, revision: audience.revision, users: done.usersDone, ms: Math.round(performance.now() - startedAt) }, 'audience calculated from history');
  }
}

/** The event types an audience's criteria count. */
function eventTypesOf(audience: Audience): EventType[] {
  return [...new Set(leavesOf(audience.definition).flatMap((leaf) => ('event' in leaf ? [leaf.event.event_type] : [])))];
}
