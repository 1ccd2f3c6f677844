import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_ID } from '../kernel/ids.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import { callerOf } from '../server/tenant-scope.ts';
import {
  activationSchema,
  attributeListSchema,
  attributeSchema,
  calculationSchema,
  createBodySchema,
  createdIdSchema,
  errors,
  noContent,
  updateBodySchema,
} from './calculated.openapi.ts';
import type { CalculatedService } from './calculated-service.ts';

export interface CalculatedRoutesDeps {
  calculated: CalculatedService;
}

interface WorkspaceParams {
  workspaceId: number;
}
interface AttributeParams extends WorkspaceParams {
  id: number;
}
interface NameQuery {
  name?: string;
}

const PREFIX = '/platform/v2/workspaces/:workspaceId/calculatedattributes';
const TAG = 'Calculated Attributes';

/** A calculated attribute id in a path: plain digits, 1 to 2^53 - 1 (anything else is a 400 naming it). */
const attributeIdParam = { type: 'integer', minimum: 1, maximum: MAX_ID, description: 'The calculated attribute id', examples: [5678] } as const;
const workspaceParam = { workspaceId: { ...workspaceIdParam, description: 'The workspace holding the calculated attributes', examples: [1234] } };
const workspaceParams = { type: 'object', required: ['workspaceId'], properties: workspaceParam };
const attributeParams = { type: 'object', required: ['workspaceId', 'id'], properties: { ...workspaceParam, id: attributeIdParam } };
const nameQuery = {
  type: 'object',
  properties: { name: { type: 'string', description: 'Only the calculated attribute of this name (whatever its case)', examples: ['ca1'] } },
};

/**
 * mParticle's Calculated Attributes Platform API v2 under
 * `/platform/v2/workspaces/{workspace_id}/calculatedattributes`, with Bearer tokens from
 * `/oauth/token`: thin routes over {@link CalculatedService}.
 */
export async function calculatedRoutes(app: FastifyInstance, deps: CalculatedRoutesDeps): Promise<void> {
  const { calculated } = deps;
  const send = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(JSON.stringify(body));
  /** The workspace in the path and who calls, as the tenant scope checked them. */
  const caller = (request: FastifyRequest) => {
    const { actor, workspaceId } = callerOf(request);
    return { ws: workspaceId, actor };
  };
  const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: [TAG], ...extra });

  app.get<{ Params: WorkspaceParams; Querystring: NameQuery }>(
    PREFIX,
    {
      // HEAD has its own route (204 or 404), not GET's without a body.
      exposeHeadRoute: false,
      schema: schema('All calculated attributes of a workspace, optionally only the one of a name', {
        params: workspaceParams,
        querystring: nameQuery,
        response: { 200: attributeListSchema, ...errors(400, 401, 403) },
      }),
    },
    async (request, reply) => send(reply, await calculated.list(caller(request).ws, request.query.name)),
  );

  app.head<{ Params: WorkspaceParams; Querystring: NameQuery }>(
    PREFIX,
    {
      // @fastify/swagger leaves HEAD routes out unless asked: this one is an API of its own.
      config: { swagger: { exposeHeadRoute: true } },
      schema: schema('Whether calculated attributes (of a name) exist: 204 if any, 404 if none, no body', {
        params: workspaceParams,
        querystring: nameQuery,
        response: { 204: noContent('Calculated attribute resource(s) exist'), 404: noContent('Calculated attribute resource(s) do not exist') },
      }),
    },
    async (request, reply) => {
      const found = await calculated.exists(caller(request).ws, request.query.name);
      return reply.status(found ? 204 : 404).send();
    },
  );

  app.post<{ Params: WorkspaceParams }>(
    PREFIX,
    {
      schema: schema('Create a calculated attribute as a draft; answers its id', {
        params: workspaceParams,
        body: createBodySchema,
        response: { 200: createdIdSchema, ...errors(400, 401, 403) },
      }),
    },
    async (request, reply) => {
      const { ws, actor } = caller(request);
      return send(reply, await calculated.create(ws, request.body, actor));
    },
  );

  app.get<{ Params: AttributeParams }>(
    `${PREFIX}/:id`,
    {
      schema: schema('A calculated attribute with its active and draft definitions', {
        params: attributeParams,
        response: { 200: attributeSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => send(reply, await calculated.get(caller(request).ws, request.params.id)),
  );

  app.put<{ Params: AttributeParams }>(
    `${PREFIX}/:id`,
    {
      schema: schema("Update a calculated attribute's draft definition and description (and its name until first activated)", {
        params: attributeParams,
        body: updateBodySchema,
        response: { 204: noContent('Calculated attribute was successfully updated'), ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => {
      const { ws, actor } = caller(request);
      await calculated.update(ws, request.params.id, request.body, actor);
      return reply.status(204).send();
    },
  );

  app.delete<{ Params: AttributeParams }>(
    `${PREFIX}/:id`,
    {
      schema: schema('Delete a calculated attribute, with its values and seeds', {
        params: attributeParams,
        response: { 204: noContent('Calculated attribute was successfully deleted'), ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => {
      await calculated.delete(caller(request).ws, request.params.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: AttributeParams }>(
    `${PREFIX}/:id/activation`,
    {
      schema: schema('Activate a calculated attribute: its draft becomes the active definition, calculated from history', {
        params: attributeParams,
        response: { 204: noContent('Calculated attribute was successfully activated'), ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => {
      const { ws, actor } = caller(request);
      await calculated.activate(ws, request.params.id, actor);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: AttributeParams }>(
    `${PREFIX}/:id/activation`,
    {
      schema: schema("A calculated attribute's activation status: whether, when and by whom it was activated", {
        params: attributeParams,
        response: { 200: activationSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => send(reply, await calculated.activation(caller(request).ws, request.params.id)),
  );

  app.delete<{ Params: AttributeParams }>(
    `${PREFIX}/:id/draft`,
    {
      schema: schema("Discard a calculated attribute's draft definition", {
        params: attributeParams,
        response: { 204: noContent("Calculated attribute's draft definition was successfully deleted"), ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => {
      const { ws, actor } = caller(request);
      await calculated.deleteDraft(ws, request.params.id, actor);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: AttributeParams }>(
    `${PREFIX}/:id/calculation`,
    {
      schema: schema("A calculated attribute's calculation status: progress from history and an estimated completion time", {
        params: attributeParams,
        response: { 200: calculationSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => send(reply, await calculated.calculation(caller(request).ws, request.params.id)),
  );
}
