import { Counter } from 'prom-client';
import type { Capability, ProcessorContext, AppContext } from '../runtime/capability.ts';
import { Backfill } from './backfill.ts';
import { BuiltInPlans } from './built-in-plans.ts';
import { dataPlanStage } from './data-plan.stage.ts';
import { dataQualityRoutes } from './data-quality.routes.ts';
import { planReferenceCheck } from './plan-references.ts';
import { PlanRegistry } from './plan-registry.ts';
import { PlanService } from './plan-service.ts';
import type { PlanStore } from './plan-store.ts';
import { plansRoutes } from './plans.routes.ts';
import type { DataQualityStore } from './quality-store.ts';
import { QuarantineReader } from './quarantine-reader.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    plans: PlanStore;
    /** The quarantine of blocked data and the violation counts. */
    quality: DataQualityStore;
  }
  interface AppServices {
    /** The plans of every workspace, compiled where they are used (the Web SDK's config, the catalog's coverage, the backfill). */
    planRegistry: PlanRegistry;
    /** The Data Planning API's rules, for capabilities that write plans (a partner feed's contract). */
    dataPlans: PlanService;
  }
  interface ProcessorServices {
    /** Where capabilities say which plan checks their inputs' batches that name none (a partner feed's contract). */
    builtInPlans: BuiltInPlans;
  }
}

/** The plans a thread enforces or reads; a stored version that no longer compiles is logged, not enforced. */
async function registryOf(ctx: AppContext | ProcessorContext): Promise<PlanRegistry> {
  return new PlanRegistry(await ctx.store('plans'), (planId, version, error) =>
    ctx.logger.error({ err: error, planId, version }, 'stored data plan version does not compile; it is not enforced'),
  );
}

/**
 * Data planning: the Data Planning API, the check at ingest that named plans exist, enforcement
 * in the processor (tag, block and quarantine), the violation report and the backfill of blocked
 * data.
 */
export const planning: Capability = {
  name: 'planning',
  async app(ctx) {
    const registry = await registryOf(ctx);
    const quality = await ctx.store('quality');
    const platform = await ctx.store('platform');
    const log = await ctx.store('log');
    const ingest = ctx.use('ingest');
    // The processor thread's registry sees these writes by the store's revision (see PlanRegistry).
    const plans = new PlanService(await ctx.store('plans'), (ws, planId) => registry.changed(ws, planId));
    ingest.addCheck(planReferenceCheck((ws, planId, version) => registry.exists(ws, planId, version)));
    const quarantine = new QuarantineReader(quality, async (partition, offset) => {
      const [record] = await log.read(partition, offset - 1, 1);
      return record?.offset === offset ? record.batch : undefined;
    });
    const backfill = new Backfill({
      store: quality,
      quarantine,
      plans: registry,
      inputOf: (id) => platform.inputs().find((i) => i.id === id),
      resend: (input, batches) => ingest.ingest({ input, body: batches, bodyBytes: Infinity, bulk: true, channel: 'server_to_server', ip: null, internal: true }),
    });
    ctx.provide('planRegistry', registry);
    ctx.provide('dataPlans', plans);
    ctx.tenantRoutes(plansRoutes, { plans }, { api: 'data_planning', area: 'data_plans' });
    ctx.tenantRoutes(dataQualityRoutes, { quality, quarantine, planRegistry: registry, backfill }, { api: 'data_planning', area: 'data_plans' });
  },
  async processor(ctx) {
    const registry = await registryOf(ctx);
    const violations = new Counter({
      name: 'quanta_data_plan_violations_total',
      help: 'Data plan violations found by the data-plan stage, by validation error type.',
      labelNames: ['type'] as const,
      registers: [ctx.metrics],
    });
    const builtIn = new BuiltInPlans();
    ctx.provide('builtInPlans', builtIn);
    const quality = await ctx.store('quality');
    ctx.stage(dataPlanStage({ plans: registry, store: quality, hub: ctx.live, builtIn, violations }));
    // Blocked data waits for the stage's flush, which the erasure's exclusive section runs first: the quarantine holds it all.
    ctx.eraser('quarantine', (ws, mpids) => quality.eraseUsers(ws, mpids));
  },
};
