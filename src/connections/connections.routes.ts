import type { Permission } from '../model/permissions.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callerOf, v1CallerOf } from '../server/tenant-scope.ts';
import type { ConnectionService } from './connection-service.ts';
import {
  accountQuery,
  connectionBodySchema,
  connectionListSchema,
  connectionSchema,
  deadLettersQuery,
  deadLettersSchema,
  errors,
  itemParams,
  noContent,
  outputBodySchema,
  outputListSchema,
  outputSchema,
  replayBodySchema,
  replaySchema,
  ruleBodySchema,
  ruleListSchema,
  ruleSchema,
  serviceParams,
  servicesSchema,
  statusSchema,
  workspaceParams,
} from './connections.openapi.ts';

export interface ConnectionRoutesDeps {
  connections: ConnectionService;
}

interface Item {
  Params: { workspaceId: number; id: number };
}

const PREFIX = '/platform/v2/workspaces/:workspaceId';
const send = (reply: FastifyReply, body: unknown, status = 200) => reply.status(status).type('application/json').send(JSON.stringify(body));
const wsOf = (request: FastifyRequest) => callerOf(request).workspaceId;
const schema = (tag: string, summary: string, extra: Record<string, unknown>) => ({ summary, tags: [tag], ...extra });
/** What each group's routes need: outputs and connections are mParticle's connections tasks, rules its rules tasks. */
const PERMISSIONS: Record<string, Permission> = {
  Outputs: { api: 'platform', area: 'connections', writeTask: 'connections:configure_outputs' },
  Connections: { api: 'platform', area: 'connections', writeTask: 'connections:connect_integration' },
  Rules: { api: 'platform', area: 'rules' },
};
const route = (tag: string, summary: string, extra: Record<string, unknown>) => ({ config: { permission: PERMISSIONS[tag]! }, schema: schema(tag, summary, extra) });

/**
 * The connections Platform API under `/platform/v2/workspaces/{workspaceId}`: outputs,
 * connections (with their status and dead letters) and rules. Thin routes over
 * {@link ConnectionService}; register with `tenantRoutes`.
 */
export async function connectionRoutes(app: FastifyInstance, deps: ConnectionRoutesDeps): Promise<void> {
  const { connections: service } = deps;
  const O = 'Outputs';
  const C = 'Connections';
  const R = 'Rules';

  app.get(`${PREFIX}/outputs`, route(O, 'All outputs of a workspace', { params: workspaceParams, response: { 200: outputListSchema, ...errors(400, 401, 403) } }), async (request, reply) =>
    send(reply, service.outputs(wsOf(request))),
  );
  app.post(
    `${PREFIX}/outputs`,
    route(O, 'Create an output (a kind and its settings)', { params: workspaceParams, body: outputBodySchema, response: { 201: outputSchema, ...errors(400, 401, 403) } }),
    async (request, reply) => send(reply, await service.createOutput(wsOf(request), request.body), 201),
  );
  app.get<Item>(`${PREFIX}/outputs/:id`, route(O, 'An output, confidential settings masked', { params: itemParams, response: { 200: outputSchema, ...errors(400, 401, 403, 404) } }), async (request, reply) =>
    send(reply, service.output(wsOf(request), request.params.id)),
  );
  app.put<Item>(
    `${PREFIX}/outputs/:id`,
    route(O, 'Replace an output\'s name and settings', { params: itemParams, body: outputBodySchema, response: { 200: outputSchema, ...errors(400, 401, 403, 404) } }),
    async (request, reply) => send(reply, await service.updateOutput(wsOf(request), request.params.id, request.body)),
  );
  app.delete<Item>(
    `${PREFIX}/outputs/:id`,
    route(O, 'Delete an output (refused while a connection uses it)', { params: itemParams, response: { 204: noContent('Deleted'), ...errors(400, 401, 403, 404, 409) } }),
    async (request, reply) => {
      await service.deleteOutput(wsOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  app.get(`${PREFIX}/connections`, route(C, 'All connections of a workspace', { params: workspaceParams, response: { 200: connectionListSchema, ...errors(400, 401, 403) } }), async (request, reply) =>
    send(reply, service.connections(wsOf(request))),
  );
  app.post(
    `${PREFIX}/connections`,
    route(C, 'Connect an input to an output; delivery starts at once', { params: workspaceParams, body: connectionBodySchema, response: { 201: connectionSchema, ...errors(400, 401, 403) } }),
    async (request, reply) => send(reply, await service.createConnection(wsOf(request), request.body), 201),
  );
  app.get<Item>(`${PREFIX}/connections/:id`, route(C, 'A connection', { params: itemParams, response: { 200: connectionSchema, ...errors(400, 401, 403, 404) } }), async (request, reply) =>
    send(reply, service.connection(wsOf(request), request.params.id)),
  );
  app.patch<Item>(
    `${PREFIX}/connections/:id`,
    route(C, 'Change the fields sent; the delivery restarts from its cursor', { params: itemParams, body: connectionBodySchema, response: { 200: connectionSchema, ...errors(400, 401, 403, 404) } }),
    async (request, reply) => send(reply, await service.patchConnection(wsOf(request), request.params.id, request.body)),
  );
  app.delete<Item>(
    `${PREFIX}/connections/:id`,
    route(C, 'Delete a connection, its cursor and its dead letters', { params: itemParams, response: { 204: noContent('Deleted'), ...errors(400, 401, 403, 404) } }),
    async (request, reply) => {
      await service.deleteConnection(wsOf(request), request.params.id);
      return reply.status(204).send();
    },
  );
  app.get<Item>(
    `${PREFIX}/connections/:id/status`,
    route(C, 'What the connection delivered, what failed and what waits', { params: itemParams, response: { 200: statusSchema, ...errors(400, 401, 403, 404) } }),
    async (request, reply) => send(reply, await service.status(wsOf(request), request.params.id)),
  );
  app.get<Item & { Querystring: { after?: number; limit?: number } }>(
    `${PREFIX}/connections/:id/dead-letters`,
    route(C, 'The batches the connection gave up on, oldest first', { params: itemParams, querystring: deadLettersQuery, response: { 200: deadLettersSchema, ...errors(400, 401, 403, 404) } }),
    async (request, reply) => send(reply, await service.deadLetters(wsOf(request), request.params.id, { after: request.query.after, limit: request.query.limit ?? 100 })),
  );
  app.post<Item>(
    `${PREFIX}/connections/:id/dead-letters/replay`,
    route(C, 'Send dead letters again ({} for all, or {"ids": [...]}), each once', { params: itemParams, body: replayBodySchema, response: { 200: replaySchema, ...errors(400, 401, 403, 404) } }),
    async (request, reply) => send(reply, await service.replayDeadLetters(wsOf(request), request.params.id, request.body)),
  );

  app.get(`${PREFIX}/rules`, route(R, 'All rules of a workspace, with their counts', { params: workspaceParams, response: { 200: ruleListSchema, ...errors(400, 401, 403) } }), async (request, reply) =>
    send(reply, service.rules(wsOf(request))),
  );
  app.post(
    `${PREFIX}/rules`,
    route(R, 'Create a JavaScript rule (checked by compiling it in its sandbox)', { params: workspaceParams, body: ruleBodySchema, response: { 201: ruleSchema, ...errors(400, 401, 403) } }),
    async (request, reply) => send(reply, await service.createRule(wsOf(request), request.body), 201),
  );
  app.get<Item>(`${PREFIX}/rules/:id`, route(R, 'A rule, its status, counts and last errors', { params: itemParams, response: { 200: ruleSchema, ...errors(400, 401, 403, 404) } }), async (request, reply) =>
    send(reply, service.rule(wsOf(request), request.params.id)),
  );
  app.put<Item>(
    `${PREFIX}/rules/:id`,
    route(R, 'Replace a rule', { params: itemParams, body: ruleBodySchema, response: { 200: ruleSchema, ...errors(400, 401, 403, 404) } }),
    async (request, reply) => send(reply, await service.updateRule(wsOf(request), request.params.id, request.body)),
  );
  app.delete<Item>(
    `${PREFIX}/rules/:id`,
    route(R, 'Delete a rule (refused while a connection names it)', { params: itemParams, response: { 204: noContent('Deleted'), ...errors(400, 401, 403, 404, 409) } }),
    async (request, reply) => {
      await service.deleteRule(wsOf(request), request.params.id);
      return reply.status(204).send();
    },
  );
}

export interface ServiceRoutesDeps {
  connections: ConnectionService;
}

/** mParticle's Platform API v1 `GET /v1/services` and `/v1/services/{name}`: the output kinds and their settings. */
export async function serviceV1Routes(app: FastifyInstance, deps: ServiceRoutesDeps): Promise<void> {
  const envelope = (data: unknown[]) => ({ data, dataType: 'service', errors: null });
  const check = (request: FastifyRequest) => v1CallerOf(request);
  const tags = ['Services (v1)'];
  app.get<{ Querystring: { accountId?: number } }>(
    '/v1/services',
    { schema: { summary: 'Every service (output kind) with its settings', tags, querystring: accountQuery, response: { 200: servicesSchema, ...errors(400, 401, 403) } } },
    async (request, reply) => {
      check(request);
      return send(reply, envelope(deps.connections.services()));
    },
  );
  app.get<{ Params: { name: string }; Querystring: { accountId?: number } }>(
    '/v1/services/:name',
    { schema: { summary: 'One service with its settings', tags, params: serviceParams, querystring: accountQuery, response: { 200: servicesSchema, ...errors(400, 401, 403, 404) } } },
    async (request, reply) => {
      check(request);
      return send(reply, envelope([deps.connections.service(request.params.name)]));
    },
  );
}
