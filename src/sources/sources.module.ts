import { Counter } from 'prom-client';
import type { Capability } from '../runtime/capability.ts';
import { eventsRoutes } from './events-api/events.routes.ts';
import { pixelRoutes } from './pixel/pixel.routes.ts';
import { segmentRoutes } from './segment/segment.routes.ts';
import { webRoutes } from './web/web.routes.ts';

/**
 * Where data comes in: mParticle's Events API, the Web SDK's routes, the pixel service and
 * Segment's HTTP API, each mapping its format to event batches for the write path.
 */
export const sources: Capability = {
  name: 'sources',
  app(ctx) {
    const ingest = ctx.use('ingest');
    const inputs = ctx.use('inputs');
    const rejected = new Counter({
      name: 'quanta_requests_rejected_total',
      help: 'Ingest requests refused, by error code.',
      labelNames: ['code'] as const,
      registers: [ctx.metrics],
    });
    const forwardingReports = new Counter({
      name: 'quanta_web_forwarding_reports_total',
      help: 'Kit forwarding statistics the Web SDK reported (not stored).',
      registers: [ctx.metrics],
    });
    const gpc = ctx.use('gpc');
    ctx.routes(eventsRoutes, { ingest, inputs, rejected, gpc });
    ctx.routes(webRoutes, { ingest, inputs, planRegistry: ctx.use('planRegistry'), forwardingReports, gpc });
    ctx.routes(pixelRoutes, { ingest, inputs });
    ctx.routes(segmentRoutes, { ingest, inputs, rejected });
  },
};
