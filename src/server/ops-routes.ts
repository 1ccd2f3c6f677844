import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.ts';

export interface OpsRoutesDeps {
  metrics: Metrics;
  /** Batches in the log not yet processed. */
  logLag: () => Promise<number>;
}

/** Health, Prometheus metrics and the OpenAPI document. */
export async function opsRoutes(app: FastifyInstance, deps: OpsRoutesDeps): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness and processing lag',
        tags: ['Operations'],
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, log_lag: { type: 'integer' } },
          },
        },
      },
    },
    async () => ({ status: 'ok', log_lag: await deps.logLag() }),
  );

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['Operations'], response: { 200: { type: 'string' } } } },
    async (_request, reply) => {
      const body = await deps.metrics.text();
      return reply.type(deps.metrics.registry.contentType).send(body);
    },
  );

  app.get(
    '/openapi.json',
    { schema: { summary: 'This OpenAPI document', tags: ['Operations'], response: { 200: { type: 'object', additionalProperties: true } } } },
    async () => app.swagger(),
  );
}
