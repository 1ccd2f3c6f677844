import { Histogram } from 'prom-client';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { SubjectEraser } from '../privacy/subject-data.ts';
import type { Capability } from '../runtime/capability.ts';
import { bulkDeleteRoutes } from './bulk-delete.routes.ts';
import type { ErasureStore } from './erasure-store.ts';
import { UserErasure } from './user-erasure.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    /** Erasure jobs and their progress. */
    erasure: ErasureStore;
  }
  interface AppServices {
    /** Erases users everywhere (the erasure engine); the DSR lifecycle calls it once an erasure is due. */
    subjectEraser: SubjectEraser;
  }
  interface ProcessorCalls {
    /** Runs the processor's erasers on these users in its exclusive section; the rows each removed. */
    'erasure.eraseUsers': (ws: WorkspaceId, mpids: readonly Mpid[]) => Promise<Record<string, number>>;
  }
}

/**
 * Erasure: every capability declares how it erases a user's data on each thread (`ctx.eraser`);
 * this one runs them all, with the log's tombstones, in order and durably (`UserErasure`), for
 * the DSR API's erasures (`subjectEraser`) and mParticle's Bulk Profile Deletion API. Registered
 * after every capability holding user data, so their erasers are all declared.
 */
export const erasure: Capability = {
  name: 'erasure',
  processor(ctx) {
    ctx.expose('erasure.eraseUsers', (ws, mpids) => ctx.eraseUsers(ws, mpids));
  },
  async app(ctx) {
    const graph = ctx.use('graph');
    const steps = new Histogram({
      name: 'quanta_erasure_step_seconds',
      help: "Time each step of erasing a chunk of users took: the app's erasers, the log's tombstones, the processor's exclusive section, and both again.",
      labelNames: ['step'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [ctx.metrics],
    });
    const engine = new UserErasure({
      onStep: (step, seconds) => steps.observe({ step }, seconds),
      store: await ctx.store('erasure'),
      log: await ctx.store('log'),
      eraseApp: (ws, mpids) => ctx.eraseUsers(ws, mpids),
      eraseProcessor: (ws, mpids) => ctx.call('erasure.eraseUsers', ws, mpids),
      logger: ctx.logger,
    });
    ctx.provide('subjectEraser', engine);
    ctx.routes(bulkDeleteRoutes, { erasure: engine, inputs: ctx.use('inputs'), search: (ws, known) => graph.search(ws, known)?.mpid });
    // Jobs begun before a stop are resumed once the processor thread is up.
    ctx.job({ start: () => void engine.resume().catch((error: unknown) => ctx.logger.error({ err: error }, 'erasures begun before the stop could not be resumed')), stop: () => engine.stop() });
  },
};
