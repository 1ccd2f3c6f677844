import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendV1 } from '../accounts/accounts.routes.ts';
import { v1Envelope } from '../platform/v1-envelope.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import { v1CallerOf } from '../server/tenant-scope.ts';
import type { AppDataPoints } from './app-datapoints.ts';
import {
  accountQuery,
  appParams,
  dataPointBodySchema,
  dataPointListSchema,
  errors,
  filterAnswerSchema,
  filterBodySchema,
  filterListSchema,
  serviceFilteringBodySchema,
  serviceFilteringSchema,
  serviceParams,
} from './datapoints.openapi.ts';

export interface DataPointRoutesDeps {
  dataPoints: AppDataPoints;
}

type ById = { Params: { id: number } };
type ByService = { Params: { id: number; service: string } };

const TAG = 'DataPoints (v1)';
const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: [TAG], querystring: accountQuery, ...extra });

/**
 * mParticle's Platform API v1 DataPoints of an app (`/v1/apps/{id}/datapoints`) and its
 * DataPoint filters per service (`/v1/apps/{id}/{service}`, `.../{service}/datapoints`): the
 * v1 view of the catalog and of the data filter of the app's connections. GET answers 200, POST
 * 201, PUT 202. Thin routes over {@link AppDataPoints}; register with `tenantRoutes`.
 */
export async function dataPointRoutes(app: FastifyInstance, deps: DataPointRoutesDeps): Promise<void> {
  const { dataPoints } = deps;
  const reach = (request: FastifyRequest): readonly WorkspaceId[] => v1CallerOf(request).workspaces;

  app.get<ById>(
    '/v1/apps/:id/datapoints',
    { schema: schema("The app's DataPoints: what its workspace's data has shown, and those added", { params: appParams, response: { 200: dataPointListSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('datapoint', await dataPoints.list(reach(request), request.params.id))),
  );
  const add = (status: 201 | 202) => async (request: FastifyRequest<ById>, reply: FastifyReply) =>
    sendV1(reply, v1Envelope('datapoint', await dataPoints.add(reach(request), request.params.id, request.body)), status);
  const addSchema = (status: 201 | 202) =>
    schema('Add DataPoints to an app before its data shows them (to set filters in advance)', { params: appParams, body: dataPointBodySchema, response: { [status]: dataPointListSchema, ...errors(400, 401, 403, 404, 422) } });
  app.put<ById>('/v1/apps/:id/datapoints', { schema: addSchema(202) }, add(202));
  app.post<ById>('/v1/apps/:id/datapoints', { schema: addSchema(201) }, add(201));

  app.get<ByService>(
    '/v1/apps/:id/:service',
    { schema: schema("A service's filtering for the app: whether new data points are sent to it", { params: serviceParams, response: { 200: serviceFilteringSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('datapoint', [dataPoints.serviceFiltering(reach(request), request.params.id, request.params.service)])),
  );
  app.put<ByService>(
    '/v1/apps/:id/:service',
    { schema: schema("Set whether new data points are sent to the service, on every connection from the app's platforms", { params: serviceParams, body: serviceFilteringBodySchema, response: { 202: serviceFilteringSchema, ...errors(400, 401, 403, 404, 422) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('datapoint', [await dataPoints.setServiceFiltering(reach(request), request.params.id, request.params.service, request.body)]), 202),
  );
  app.get<ByService>(
    '/v1/apps/:id/:service/datapoints',
    { schema: schema("The app's DataPoint filters for a service: each data point, enabled when sent to it", { params: serviceParams, response: { 200: filterListSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('datapoint', await dataPoints.filters(reach(request), request.params.id, request.params.service))),
  );
  app.put<ByService>(
    '/v1/apps/:id/:service/datapoints',
    { schema: schema('Switch data points on or off for a service (points the app does not have are added)', { params: serviceParams, body: filterBodySchema, response: { 202: filterAnswerSchema, ...errors(400, 401, 403, 404, 422) } }) },
    async (request, reply) => sendV1(reply, await dataPoints.setFilters(reach(request), request.params.id, request.params.service, request.body), 202),
  );
}
