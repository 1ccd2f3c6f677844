import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WorkspaceId } from '../kernel/ids.ts';
import { callerOf, v1CallerOf } from '../server/tenant-scope.ts';
import type { AudienceService } from './audience-service.ts';
import {
  accountQuery,
  activationSchema,
  audienceListSchema,
  audienceParams,
  audienceSchema,
  createBodySchema,
  errors,
  membersQuery,
  membersSchema,
  nameQuery,
  noContent,
  sizeQuery,
  sizeSchema,
  updateBodySchema,
  v1AudienceParams,
  v1ListSchema,
  workspaceParams,
} from './audiences.openapi.ts';

export interface AudienceRoutesDeps {
  audiences: AudienceService;
}

export interface AudienceV1RoutesDeps {
  audiences: AudienceService;
}

interface WorkspaceParams {
  workspaceId: number;
}
interface AudienceParams extends WorkspaceParams {
  id: number;
}

const PREFIX = '/platform/v2/workspaces/:workspaceId/audiences';
const TAG = 'Audiences';

const send = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(JSON.stringify(body));
/** The workspace in the path and who calls, as the tenant scope checked them. */
const caller = (request: FastifyRequest) => {
  const { actor, workspaceId } = callerOf(request);
  return { ws: workspaceId, actor };
};
const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: [TAG], ...extra });

/**
 * Quanta's Audiences Platform API v2 under `/platform/v2/workspaces/{workspaceId}/audiences`
 * (mParticle creates audiences only in its UI), with Bearer tokens from `/oauth/token`: thin
 * routes over {@link AudienceService}. Register with `tenantRoutes`.
 */
export async function audienceRoutes(app: FastifyInstance, deps: AudienceRoutesDeps): Promise<void> {
  const { audiences } = deps;

  app.get<{ Params: WorkspaceParams; Querystring: { name?: string } }>(
    PREFIX,
    {
      schema: schema('All audiences of a workspace, optionally only the one of a name', {
        params: workspaceParams,
        querystring: nameQuery,
        response: { 200: audienceListSchema, ...errors(400, 401, 403) },
      }),
    },
    async (request, reply) => send(reply, await audiences.list(caller(request).ws, request.query.name)),
  );

  app.post<{ Params: WorkspaceParams }>(
    PREFIX,
    {
      schema: schema('Create an audience (inactive until activated); answers it', {
        params: workspaceParams,
        body: createBodySchema,
        response: { 201: audienceSchema, ...errors(400, 401, 403) },
      }),
    },
    async (request, reply) => {
      const { ws, actor } = caller(request);
      return send(reply.status(201), await audiences.create(ws, request.body, actor));
    },
  );

  app.get<{ Params: AudienceParams }>(
    `${PREFIX}/:id`,
    {
      schema: schema('An audience with its definition', {
        params: audienceParams,
        response: { 200: audienceSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => send(reply, await audiences.get(caller(request).ws, request.params.id)),
  );

  app.put<{ Params: AudienceParams }>(
    `${PREFIX}/:id`,
    {
      schema: schema("Replace an audience's name, description and definition (an active audience whose definition changes is calculated again)", {
        params: audienceParams,
        body: updateBodySchema,
        response: { 200: audienceSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => {
      const { ws, actor } = caller(request);
      return send(reply, await audiences.update(ws, request.params.id, request.body, actor));
    },
  );

  app.delete<{ Params: AudienceParams }>(
    `${PREFIX}/:id`,
    {
      schema: schema('Delete an audience with its memberships (refused while another audience names it)', {
        params: audienceParams,
        response: { 204: noContent('The audience was deleted'), ...errors(400, 401, 403, 404, 409) },
      }),
    },
    async (request, reply) => {
      await audiences.delete(caller(request).ws, request.params.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: AudienceParams }>(
    `${PREFIX}/:id/activation`,
    {
      schema: schema('Activate an audience (again: it starts over): a real-time one is calculated over existing users, then kept current; a standard one is calculated once over its date range', {
        params: audienceParams,
        response: { 200: activationSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => send(reply, await audiences.activate(caller(request).ws, request.params.id)),
  );

  app.get<{ Params: AudienceParams }>(
    `${PREFIX}/:id/activation`,
    {
      schema: schema("An audience's activation status: its revision and how far that revision's calculation has come", {
        params: audienceParams,
        response: { 200: activationSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => send(reply, await audiences.activation(caller(request).ws, request.params.id)),
  );

  app.get<{ Params: AudienceParams; Querystring: { after?: string; limit: number } }>(
    `${PREFIX}/:id/members`,
    {
      schema: schema("A page of an audience's members, by MPID", {
        params: audienceParams,
        querystring: membersQuery,
        response: { 200: membersSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => send(reply, await audiences.members(caller(request).ws, request.params.id, request.query)),
  );

  app.get<{ Params: AudienceParams; Querystring: { estimate: boolean } }>(
    `${PREFIX}/:id/size`,
    {
      schema: schema("An audience's number of members, or an estimate of it from a sample", {
        params: audienceParams,
        querystring: sizeQuery,
        response: { 200: sizeSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => send(reply, await audiences.size(caller(request).ws, request.params.id, { estimate: request.query.estimate })),
  );
}

/**
 * mParticle's documented Platform API v1 audience calls: list for the account or a workspace, and
 * delete, each with `?accountId=` (401 without it, as mParticle answers). Register with
 * `tenantRoutes`: the scope checks the Bearer token, the workspace (the path's, else the default
 * one of the account named) and that `accountId` is its account (403 otherwise).
 */
export async function audienceV1Routes(app: FastifyInstance, deps: AudienceV1RoutesDeps): Promise<void> {
  const { audiences } = deps;
  const workspaceOf = (request: FastifyRequest): WorkspaceId => v1CallerOf(request).workspaceId;
  const listed = async (reply: FastifyReply, workspaces: readonly WorkspaceId[]) =>
    send(reply, { data: (await Promise.all(workspaces.map((ws) => audiences.accountList(ws)))).flat(), dataType: 'audience', errors: [] });
  // The account's: the audiences of each of its workspaces.
  const listAccount = async (request: FastifyRequest<{ Querystring: { accountId?: number } }>, reply: FastifyReply) => {
    return listed(reply, v1CallerOf(request).workspaces);
  };
  const listWorkspace = async (request: FastifyRequest<{ Querystring: { accountId?: number } }>, reply: FastifyReply) => listed(reply, [workspaceOf(request)]);
  const v1 = (summary: string, extra: Record<string, unknown>) => ({ ...schema(summary, extra), tags: [`${TAG} (v1)`] });

  app.get<{ Querystring: { accountId?: number } }>(
    '/v1/audiences',
    {
      schema: v1('All audiences of the account: of each of its workspaces', {
        querystring: accountQuery,
        response: { 200: v1ListSchema, ...errors(400, 401, 403) },
      }),
    },
    listAccount,
  );

  app.get<{ Params: WorkspaceParams; Querystring: { accountId?: number } }>(
    '/v1/workspace/:workspaceId/audiences',
    {
      schema: v1('All audiences of a workspace', {
        params: workspaceParams,
        querystring: accountQuery,
        response: { 200: v1ListSchema, ...errors(400, 401, 403) },
      }),
    },
    listWorkspace,
  );

  app.delete<{ Params: { id: number }; Querystring: { accountId?: number } }>(
    '/v1/audiences/:id',
    {
      schema: v1('Delete an audience (refused while another audience names it)', {
        params: v1AudienceParams,
        querystring: accountQuery,
        response: { 202: noContent('The audience was deleted'), ...errors(400, 401, 403, 404, 409) },
      }),
    },
    async (request, reply) => {
      await audiences.delete(workspaceOf(request), request.params.id);
      return reply.status(202).send();
    },
  );
}
