import type { EventFilter } from '../analytics/event-store.ts';
import type { InputId, WorkspaceId } from '../kernel/ids.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import { InsightsSubjectAmbiguous, InsightsSubjectInvalid } from './account-errors.ts';

/** What the report counts with: the event store's counts (the processor thread's). */
export interface InsightCounts {
  events(filter: EventFilter): Promise<number>;
  users(ws: WorkspaceId, inputIds?: readonly InputId[]): Promise<number>;
}

/** The report's subject: an app (its platforms' inputs), a partner feed, or neither (the whole workspace). */
export interface InsightsQuery {
  applicationid?: number;
  feedid?: number;
}

/**
 * mParticle's User Insights report (`GET /v1/workspace/{id}/userinsights`) from what Quanta
 * keeps. Exact, from the event store: the unique users who sent a batch, the sessions (their
 * `session_start` events) and the events, of the app's platforms, the feed, or the workspace.
 * Not computed, so answered as null or empty rather than guessed: the median session length,
 * the revenue, and the report rows (mParticle's overlaps of the users with its audience facts
 * and their lifts). Counts are strings, as mParticle's example gives them.
 */
export class UserInsights {
  constructor(
    private readonly store: PlatformStore,
    private readonly counts: InsightCounts,
    private readonly now: () => number = Date.now,
  ) {}

  async report(ws: WorkspaceId, query: InsightsQuery) {
    const inputIds = this.inputsOf(ws, query);
    const filter: EventFilter = { workspaceId: ws, ...(inputIds ? { inputIds } : {}) };
    const [users, sessions, events] = await Promise.all([
      this.counts.users(ws, inputIds),
      this.counts.events({ ...filter, eventType: 'session_start' }),
      this.counts.events(filter),
    ]);
    return {
      data_type: 'user_insights',
      report_calculation_time: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      application_id: query.applicationid ?? null,
      feed_id: query.feedid ?? null,
      app_unique_user_count: String(users),
      app_session_count: String(sessions),
      app_median_session_length: null,
      app_revenue: null,
      app_event_count: String(events),
      report_rows: [],
    };
  }

  /** The inputs the report counts, undefined for the whole workspace; an app or feed not in it is a 404. */
  private inputsOf(ws: WorkspaceId, query: InsightsQuery): InputId[] | undefined {
    const { applicationid: appId, feedid: feedId } = query;
    if (appId !== undefined && feedId !== undefined) throw new InsightsSubjectAmbiguous();
    const inputs = this.store.inputs().filter((i) => i.workspaceId === ws);
    if (appId !== undefined) {
      const app = this.store.app(appId);
      if (!app || app.workspaceId !== ws) throw new InsightsSubjectInvalid(ws, `App ${appId}`);
      return inputs.filter((i) => i.appPlatform?.appId === appId).map((i) => i.id);
    }
    if (feedId !== undefined) {
      const feed = inputs.find((i) => i.id === feedId && i.feed !== undefined);
      if (!feed) throw new InsightsSubjectInvalid(ws, `Partner feed ${feedId}`);
      return [feed.id];
    }
    return undefined;
  }
}
