import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { v1CallerOf } from '../server/tenant-scope.ts';
import { envelope, type FeedService } from './feed-service.ts';
import { accountQuery, createdSchema, errors, feedBodySchema, feedIdParams, feedListSchema, feedParams, feedSchema, moduleParams, modulesSchema, workspaceParams } from './feeds.openapi.ts';

export interface FeedRoutesDeps {
  feeds: FeedService;
}

type Account = { Querystring: { accountId?: number } };
const send = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(JSON.stringify(body));
const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: ['Partner feeds (v1)'], querystring: accountQuery, ...extra });

/**
 * mParticle's Platform API v1 partner feeds (`/v1/workspace/{ws}/partnerfeeds`, `/v1/partnerfeeds/{id}`)
 * and Quanta's catalogue of feed modules (`/v1/feedmodules`), in the v1 envelope, `?accountId=`
 * required. Thin routes over {@link FeedService}; register with `tenantRoutes`.
 */
export async function feedRoutes(app: FastifyInstance, deps: FeedRoutesDeps): Promise<void> {
  const { feeds } = deps;
  const workspaceOf = (request: FastifyRequest<Account>) => v1CallerOf(request).workspaceId;

  app.get<Account>('/v1/feedmodules', { schema: schema('Every feed module a partner feed may be created as', { response: { 200: modulesSchema, ...errors(400, 401, 403) } }) }, async (request, reply) => {
    workspaceOf(request);
    return send(reply, { ...envelope(feeds.modules()), data_type: 'feed_module' });
  });
  app.get<Account & { Params: { name: string } }>(
    '/v1/feedmodules/:name',
    { schema: schema('One feed module', { params: moduleParams, response: { 200: modulesSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => {
      workspaceOf(request);
      return send(reply, { ...envelope([feeds.module(request.params.name)]), data_type: 'feed_module' });
    },
  );
  app.get<Account & { Params: { workspaceId: number } }>(
    '/v1/workspace/:workspaceId/partnerfeeds',
    { schema: schema('The partner feeds of a workspace', { params: workspaceParams, response: { 200: feedListSchema, ...errors(400, 401, 403) } }) },
    async (request, reply) => send(reply, { ...envelope(feeds.list(workspaceOf(request))), data_type: 'partner_feed' }),
  );
  app.post<Account & { Params: { workspaceId: number } }>(
    '/v1/workspace/:workspaceId/partnerfeeds',
    { schema: schema('Create a partner feed: an input with its own key and secret (the secret shown only here)', { params: workspaceParams, body: feedBodySchema, response: { 201: createdSchema, ...errors(400, 401, 403) } }) },
    async (request, reply) => send(reply.code(201), envelope([feeds.create(workspaceOf(request), request.body)])),
  );
  app.put<Account & { Params: { workspaceId: number; id: number } }>(
    '/v1/workspace/:workspaceId/partnerfeeds/:id',
    { schema: schema('Update a partner feed (its key and secret stay)', { params: feedParams, body: feedBodySchema, response: { 202: createdSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => send(reply.code(202), envelope([feeds.update(workspaceOf(request), request.params.id, request.body)])),
  );
  app.get<Account & { Params: { id: number } }>(
    '/v1/partnerfeeds/:id',
    { schema: schema('A partner feed of the account, with its settings', { params: feedIdParams, response: { 200: feedSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => {
      const { workspaces, accountId } = v1CallerOf(request);
      return send(reply, envelope([feeds.get(workspaces, request.params.id, `account ${accountId}`)]));
    },
  );
}
