import { Poller } from '../kernel/poller.ts';
import { PROCESSOR_CONSUMER } from '../pipeline/processor.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Capability } from '../runtime/capability.ts';
import { AudienceActivation } from './audience-activation.ts';
import { AudienceRegistry } from './audience-registry.ts';
import { AudienceService } from './audience-service.ts';
import type { AudienceStore } from './audience-store.ts';
import type { AudienceHistory } from './history-selection.ts';
import { audienceRoutes, audienceV1Routes } from './audiences.routes.ts';
import { audiencesStage } from './audiences.stage.ts';
import { estimateSize, type SizeEstimate, StandardCalculations } from './standard-calculations.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    /** Audiences: definitions, users' audience state, memberships and their changes. */
    audiences: AudienceStore;
    /** The event store's history, as standard audiences and estimates query it (processor thread only). */
    audienceHistory: AudienceHistory;
  }
  interface ProcessorCalls {
    /** An audience was activated: look for calculations to start now. */
    'audiences.activated': () => Promise<void>;
    /** A user's current memberships (the processor's, written behind), with the audiences' names. */
    'audiences.memberships': (ws: WorkspaceId, mpid: Mpid) => Promise<{ audienceId: number; name: string; addedAtMs: number }[]>;
    /** An audience's size estimated from a sample of the event store's users; undefined for an unknown audience. */
    'audiences.estimate': (ws: WorkspaceId, id: number) => Promise<SizeEstimate | undefined>;
  }
}

/** How often users whose recency windows moved are decided again (an index lookup of those due). */
const DUE_EVERY_MS = 1000;

/**
 * Audiences: Quanta's definition API under `/platform/v2/workspaces/{ws}/audiences` (and
 * mParticle's Platform API v1 listing), real-time membership decided by the processor as events
 * arrive and as recency windows move, memberships in the Profile API's `audience_memberships`,
 * and every membership change kept in order for the audience outputs to deliver.
 */
export const audiences: Capability = {
  name: 'audiences',
  async processor(ctx) {
    const store = await ctx.store('audiences');
    const log = await ctx.store('log');
    const registry = new AudienceRegistry(store);
    const stage = audiencesStage({
      store,
      registry,
      profiles: ctx.use('profiles'),
      calculatedValues: ctx.use('calculatedValues'),
      log,
      writeEveryMs: ctx.config.audiences.writeEveryMs,
    });
    ctx.stage(stage);
    const due = new Poller(async () => {
      try {
        await stage.runDue();
      } catch (error) {
        ctx.logger.error({ err: error }, 'audience memberships due were not decided; they are tried again');
      }
    }, DUE_EVERY_MS);
    due.start();
    ctx.onClose(() => due.stop());
    // The event store is the analytics capability's: the activation reads its history on this thread.
    const events = await ctx.store('events');
    const activation = new AudienceActivation({
      stage,
      store,
      events,
      committed: (partition) => log.committed(PROCESSOR_CONSUMER, partition),
      logger: ctx.logger,
    });
    const history = await ctx.store('audienceHistory');
    const standard = new StandardCalculations({ store, history, logger: ctx.logger });
    // Between the runs of both jobs: a run reads the event store and writes members and states,
    // so an erasure in the middle of one could have its users written back.
    ctx.eraser('audiences', (ws, mpids) => activation.between(() => standard.between(() => stage.eraseUsers(ws, mpids))));
    for (const job of [activation, standard]) {
      job.start();
      ctx.onClose(() => job.stop());
      ctx.onReplayed(() => job.runDue());
    }
    // A nudge, not state: without it a calculation starts at its next look, within a second.
    ctx.expose('audiences.activated', async () => void Promise.all([activation.runDue(), standard.runDue()]));
    // Real-time memberships are written behind: the Profile API asks the processor, which holds the latest.
    ctx.expose('audiences.memberships', (ws, mpid) => stage.membershipsOf(ws, mpid));
    ctx.expose('audiences.estimate', async (ws, id) => {
      const audience = await store.get(ws, id);
      return audience && estimateSize(store, { history, events }, audience, Date.now());
    });
  },
  async app(ctx) {
    const store = await ctx.store('audiences');
    ctx.use('profileApi').addMembershipSource(async (ws, mpid) =>
      (await ctx.call('audiences.memberships', ws, mpid)).map((m) => ({ audience_id: m.audienceId, audience_name: m.name, expiration_timestamp_ms: null })),
    );
    const onActivated = () => void ctx.call('audiences.activated').catch((error: unknown) => ctx.logger.warn({ err: error }, 'the processor was not told of an activation'));
    // One service for both APIs: writes to a workspace's audiences run one at a time.
    const service = new AudienceService(store, { onActivated, estimate: (ws, id) => ctx.call('audiences.estimate', ws, id) });
    ctx.tenantRoutes(audienceRoutes, { audiences: service }, { api: 'platform', area: 'audiences' });
    ctx.tenantRoutes(audienceV1Routes, { audiences: service }, { api: 'platform', area: 'audiences' });
  },
};
