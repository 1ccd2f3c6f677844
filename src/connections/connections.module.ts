import { identityStrategies } from '../identity/workspace-strategies.ts';
import type { ErasureForwarder } from '../privacy/subject-data.ts';
import type { Capability } from '../runtime/capability.ts';
import { ConnectionService } from './connection-service.ts';
import type { ConnectionStore } from './connection-store.ts';
import { connectionRoutes, serviceV1Routes } from './connections.routes.ts';
import { connectionsStage } from './connections.stage.ts';
import { DeliveryService } from './delivery-service.ts';
import { ErasureForwarding } from './erasure-forwarding.ts';
import type { DeliveryStore } from './delivery-store.ts';
import { outputKinds } from './kinds/index.ts';
import type { OutputEngines } from './output-engines.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    /** Outputs, connections and rules (configuration). */
    connections: ConnectionStore;
    /** The delivery stream of processed batches, each connection's cursor and its dead letters. */
    delivery: DeliveryStore;
    /** The engines of outputs outside Quanta's storage (PostgreSQL, NATS), as ports. */
    outputEngines: OutputEngines;
  }
  interface AppServices {
    /** Outputs, connections and rules, checked and stored (the Platform API v1 views of apps and feeds use it). */
    connections: ConnectionService;
    /** Forwards DSR erasure requests to the workspace's outputs that take them (the privacy capability uses it). */
    erasureForwarder: ErasureForwarder;
  }
}

/**
 * Connections: the processor hands every processed batch to the delivery stream; on the app
 * thread one delivery loop per active connection sends the stream to its output (webhook, ...),
 * filtered and ruled as the connection says, at least once, each user's batches in order
 * (src/connections/ARCHITECTURE.md). The outputs, connections and rules API is under
 * `/platform/v2/workspaces/{ws}/...`, the output kinds under `GET /v1/services`.
 */
export const connections: Capability = {
  name: 'connections',
  async processor(ctx) {
    ctx.stage(connectionsStage({ store: await ctx.store('delivery') }));
  },
  async app(ctx) {
    const store = await ctx.store('connections');
    const delivery = await ctx.store('delivery');
    const platform = await ctx.store('platform');
    const audiences = await ctx.store('audiences');
    const graph = ctx.use('graph');
    const kinds = outputKinds(await ctx.store('outputEngines'));
    const { delivery: d } = ctx.config;
    const deliveries = new DeliveryService({
      connections: store,
      delivery,
      kinds,
      logger: ctx.logger,
      registry: ctx.metrics,
      strategyOf: identityStrategies(platform),
      audiences,
      identitiesOf: (ws, mpid) => ({ ...graph.record(ws, mpid)?.identities }) as Record<string, string>,
      isErased: (ws, mpid) => graph.isErased(ws, mpid),
      options: {
        chunkSize: d.chunkSize,
        concurrency: d.concurrency,
        idleMs: 100,
        timeoutMs: d.timeoutMs,
        retentionMs: d.retentionMs,
        retry: { baseMs: d.retryBaseMs, maxMs: 5 * 60_000, budgetMs: d.retryBudgetMs },
      },
    });
    ctx.job(deliveries);
    const erasures = new ErasureForwarding({
      connections: store,
      kinds,
      timeoutMs: d.timeoutMs,
      retry: { baseMs: d.retryBaseMs, maxMs: 5 * 60_000, budgetMs: d.retryBudgetMs },
      logger: ctx.logger,
    });
    ctx.provide('erasureForwarder', erasures);
    ctx.onClose(() => erasures.stop());
    // The processor's stage appends to the stream in its flush: an erasure runs this after the processor's erasers.
    ctx.eraser('delivery', (ws, mpids) => delivery.eraseUsers(ws, mpids));
    const service = new ConnectionService(store, delivery, {
      kinds,
      inputsOf: (ws) => platform.inputs().filter((i) => i.workspaceId === ws).map((i) => i.id),
      audienceExists: async (ws, id) => (await audiences.get(ws, id)) !== undefined,
      audiencePending: (ws, audienceId, afterSeq) => audiences.audienceChangesPending(ws, audienceId, afterSeq),
      onChanged: () => deliveries.changed(),
      ruleStatus: (id) => deliveries.ruleStatus(id),
      recentErrors: (id) => deliveries.recentErrors(id),
      checkRuleCode: (code, timeoutMs) => deliveries.checkRuleCode(code, timeoutMs),
      replay: (connection, output, letters) => deliveries.replay(connection, output, letters),
    });
    ctx.provide('connections', service);
    // Each route names its own permission (outputs, connections, rules); this is the default.
    ctx.tenantRoutes(connectionRoutes, { connections: service }, { api: 'platform', area: 'connections', writeTask: 'connections:connect_integration' });
    ctx.tenantRoutes(serviceV1Routes, { connections: service }, { api: 'platform', area: 'connections' });
  },
};
