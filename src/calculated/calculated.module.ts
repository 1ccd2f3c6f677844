import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import { PROCESSOR_CONSUMER } from '../pipeline/processor.ts';
import type { Capability } from '../runtime/capability.ts';
import { Activation } from './activation.ts';
import { CalculatedEngine } from './calculated-engine.ts';
import { CalculatedService } from './calculated-service.ts';
import type { CalculatedStore } from './calculated-store.ts';
import type { CalculatedValue } from './calculations.ts';
import { calculatedRoutes } from './calculated.routes.ts';
import { calculatedStage } from './calculated.stage.ts';
import { SeedingService } from './seeding-service.ts';
import { seedingRoutes } from './seeding.routes.ts';
import { userValues } from './user-values.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    /** Calculated attributes: definitions, computations and every user's states. */
    calculated: CalculatedStore;
  }
  interface ProcessorServices {
    /** A user's calculated attribute values now, by name (live states included): for stages and jobs that decide on them. */
    calculatedValues: (ws: WorkspaceId, mpid: Mpid) => Promise<Record<string, CalculatedValue>>;
  }
  interface ProcessorCalls {
    /** An attribute was activated: look for computations to start now. */
    'calculated.activated': () => Promise<void>;
    /** Seeds were stored: these users' values are put in the event store. */
    'calculated.seeded': (ws: WorkspaceId, seeds: readonly { id: number; mpid: Mpid }[]) => Promise<void>;
    /** A user's values now, by attribute name. */
    'calculated.values': (ws: WorkspaceId, mpid: Mpid) => Promise<Record<string, CalculatedValue>>;
  }
}

/**
 * Calculated attributes (mParticle's): the Platform API v2 definitions, computed by the processor
 * as events arrive, activated from the event store's history, seeded through the Seeding API, and
 * shown in the Profile API, the live stream and the event store.
 */
export const calculated: Capability = {
  name: 'calculated',
  async processor(ctx) {
    const store = await ctx.store('calculated');
    const engine = new CalculatedEngine(store);
    const log = await ctx.store('log');
    // The event store is the analytics capability's: this one reads its history and puts users' values in it, on the same thread.
    const events = await ctx.store('events');
    ctx.stage(calculatedStage({ engine, store, values: events, log, writeEveryMs: ctx.config.calculated.writeEveryMs }));
    const activation = new Activation({
      engine,
      store,
      events,
      committed: (partition) => log.committed(PROCESSOR_CONSUMER, partition),
      logger: ctx.logger,
    });
    activation.start();
    ctx.onClose(() => activation.stop());
    ctx.onReplayed(() => activation.runDue());
    // A nudge, not state: without it the activation starts at its next look, within half a second.
    ctx.expose('calculated.activated', async () => void activation.runDue());
    ctx.expose('calculated.seeded', async (ws, seeds) => {
      // Reloads the seed revision first: the users held are read again, with their seeds.
      await engine.refresh();
      const users = await engine.statesOf(ws, [...new Set(seeds.map((s) => s.mpid))]);
      await events.putCalculatedValues(engine.valueRows(ws, users, Date.now()));
    });
    const values = async (ws: WorkspaceId, mpid: Mpid) => {
      await engine.refresh();
      return userValues(engine.registry.of(ws).all, (await engine.user(ws, mpid)).state, Date.now());
    };
    ctx.provide('calculatedValues', values);
    // Between two activation runs: a run reads the event store and writes users' states, so an
    // erasure in the middle of one could have its users written back.
    ctx.eraser('calculated', (ws, mpids) =>
      activation.between(async () => {
        engine.erase(ws, mpids);
        return store.eraseUsers(ws, mpids);
      }),
    );
    // The live states are the processor's (written behind): the Profile API asks it.
    ctx.expose('calculated.values', values);
  },
  async app(ctx) {
    const store = await ctx.store('calculated');
    ctx.use('profileApi').addAttributeSource((ws, mpid) => ctx.call('calculated.values', ws, mpid));
    const { retentionDays, maxActive } = ctx.config.calculated;
    const onActivated = () => void ctx.call('calculated.activated').catch((error: unknown) => ctx.logger.warn({ err: error }, 'the processor was not told of an activation'));
    ctx.tenantRoutes(calculatedRoutes, { calculated: new CalculatedService(store, { retentionDays, maxActive, onActivated }) }, { api: 'calculated_attributes', area: 'calculated_attributes' });
    const onSeeded = (ws: WorkspaceId, seeds: readonly { id: number; mpid: Mpid }[]) =>
      void ctx.call('calculated.seeded', ws, seeds).catch((error: unknown) => ctx.logger.warn({ err: error }, "seeded users' values were not put in the event store"));
    const seeding = new SeedingService({ calculated: store, graph: ctx.use('graph'), write: ctx.use('ingest'), limits: ctx.config.limits, onSeeded });
    ctx.routes(seedingRoutes, { seeding, inputs: ctx.use('inputs') });
  },
};
