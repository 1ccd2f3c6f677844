import { PROCESSOR_CONSUMER } from '../pipeline/processor.ts';
import type { Capability } from '../runtime/capability.ts';
import { Activation } from './activation.ts';
import { AttributeRegistry } from './attribute-registry.ts';
import { CalculatedEngine } from './calculated-engine.ts';
import { CalculatedService } from './calculated-service.ts';
import type { CalculatedStore } from './calculated-store.ts';
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
  interface ProcessorCalls {
    /** An attribute was activated: look for computations to start now. */
    'calculated.activated': () => Promise<void>;
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
    ctx.stage(calculatedStage({ engine, store }));
    const log = await ctx.store('log');
    const activation = new Activation({
      engine,
      store,
      // The event store is the analytics capability's; this one only reads it, on the same thread.
      events: await ctx.store('events'),
      committed: (partition) => log.committed(PROCESSOR_CONSUMER, partition),
      logger: ctx.logger,
    });
    activation.start();
    ctx.onClose(() => activation.stop());
    ctx.onReplayed(() => activation.runDue());
    // A nudge, not state: without it the activation starts at its next look, within half a second.
    ctx.expose('calculated.activated', async () => void activation.runDue());
  },
  async app(ctx) {
    const store = await ctx.store('calculated');
    const registry = new AttributeRegistry(store);
    ctx.use('profileApi').addAttributeSource(async (ws, mpid) => {
      await registry.refresh();
      return userValues(registry.of(ws).all, (await store.users(ws, [mpid])).get(mpid), Date.now());
    });
    const { retentionDays, maxActive } = ctx.config.calculated;
    const onActivated = () => void ctx.call('calculated.activated').catch((error: unknown) => ctx.logger.warn({ err: error }, 'the processor was not told of an activation'));
    ctx.tenantRoutes(calculatedRoutes, { calculated: new CalculatedService(store, { retentionDays, maxActive, onActivated }) });
    const seeding = new SeedingService({ calculated: store, graph: ctx.use('graph'), write: ctx.use('ingest'), limits: ctx.config.limits });
    ctx.routes(seedingRoutes, { seeding, inputs: ctx.use('inputs') });
  },
};
