import type { WorkspaceId } from '../kernel/ids.ts';
import { KeyedQueue } from '../kernel/keyed-queue.ts';
import type { Capability } from '../runtime/capability.ts';
import { AppDataPoints } from './app-datapoints.ts';
import { AppService } from './app-service.ts';
import { appRoutes } from './apps.routes.ts';
import { dataPointRoutes } from './datapoints.routes.ts';
import { PlatformServices } from './platform-services.ts';

/**
 * Apps and app platforms through mParticle's Platform API v1 (`/v1/apps`): each app platform is
 * an input with its own key and secret, which every ingest route takes; its services are its
 * input's connections, its DataPoints the catalog's, its DataPoint filters its connections' data
 * filters. Registered after the connections capability, whose service it uses.
 */
export const apps: Capability = {
  name: 'apps',
  async app(ctx) {
    const store = await ctx.store('platform');
    const connections = ctx.use('connections');
    const writes = new KeyedQueue<WorkspaceId>();
    const service = new AppService({
      store,
      writes,
      inputs: ctx.use('inputs'),
      rateLimitPerSecond: ctx.config.bootstrap.rateLimitPerSecond,
      dropConnections: async (ws, inputId) => {
        for (const c of connections.connections(ws).filter((c) => c.input_id === inputId)) await connections.deleteConnection(ws, c.id);
      },
    });
    const dataPoints = new AppDataPoints({ apps: service, store, catalog: await ctx.store('catalog'), connections, writes });
    ctx.tenantRoutes(appRoutes, { apps: service, services: new PlatformServices(connections, service, writes) }, { api: 'platform', area: 'connections', writeTask: 'connections:configure_inputs' });
    ctx.tenantRoutes(dataPointRoutes, { dataPoints }, { api: 'platform', area: 'data_filter' });
  },
};
