import type { FastifyInstance, FastifyReply } from 'fastify';
import { workspaceId } from '../kernel/ids.ts';
import { AccountForbidden } from '../platform/platform-errors.ts';
import { v1CallerOf } from '../server/tenant-scope.ts';
import { CREATED_TYPE, type FeedSubscriptions, LISTED_TYPE } from './feed-subscriptions.ts';
import { accountQuery, configurationsSchema, createdSchema, errors, feedParams, moduleConfigParams, subscriptionBodySchema, subscriptionsSchema, workspaceParams } from './feed-subscriptions.openapi.ts';

export interface FeedSubscriptionRoutesDeps {
  subscriptions: FeedSubscriptions;
}

const send = (reply: FastifyReply, body: unknown, status = 200) => reply.status(status).type('application/json').send(JSON.stringify(body));
const envelope = (data_type: string, data: readonly unknown[]) => ({ data, data_type, errors: null });
const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: ['Partner feeds (v1)'], querystring: accountQuery, ...extra });

/**
 * mParticle's Platform API v1 output configurations (`/v1/workspace/{ws}/{module_name}/
 * serviceconfigurations`) and feed subscriptions (`GET /v1/partnerfeeds/{ws}/subscriptions` to list a
 * workspace's, `POST /v1/partnerfeeds/{feedId}/subscriptions` to subscribe a feed), `?accountId=`
 * required; GET answers 200, POST 201. Thin routes over {@link FeedSubscriptions}; register with
 * `tenantRoutes`.
 */
export async function feedSubscriptionRoutes(app: FastifyInstance, deps: FeedSubscriptionRoutesDeps): Promise<void> {
  const { subscriptions } = deps;

  app.get<{ Params: { workspaceId: number; module: string } }>(
    '/v1/workspace/:workspaceId/:module/serviceconfigurations',
    { schema: schema("A workspace's output configurations of a kind: what a feed may subscribe to", { params: moduleConfigParams, response: { 200: configurationsSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => send(reply, envelope('Service Configuration', subscriptions.serviceConfigurations(v1CallerOf(request).workspaceId, request.params.module))),
  );
  // The path's id is a workspace here and a feed below, as mParticle's page has them. It is named
  // `id` as in `/v1/partnerfeeds/{id}` (one router node, one name), so the tenant scope does not
  // read it as a workspace: the route checks it is one of the account's the caller may use.
  app.get<{ Params: { id: number } }>(
    '/v1/partnerfeeds/:id/subscriptions',
    { schema: schema("The subscriptions of a workspace's partner feeds: their connections to outputs", { params: workspaceParams, response: { 200: subscriptionsSchema, ...errors(400, 401, 403) } }) },
    async (request, reply) => {
      const { accountId, workspaces } = v1CallerOf(request);
      const ws = workspaceId(request.params.id);
      if (!workspaces.includes(ws)) throw new AccountForbidden(ws, accountId);
      return send(reply, envelope(LISTED_TYPE, subscriptions.list(ws)));
    },
  );
  app.post<{ Params: { id: number } }>(
    '/v1/partnerfeeds/:id/subscriptions',
    { schema: schema('Subscribe a partner feed to an output configuration: a connection from its input to the output', { params: feedParams, body: subscriptionBodySchema, response: { 201: createdSchema, ...errors(400, 401, 403, 404, 422) } }) },
    async (request, reply) => {
      return send(reply, envelope(CREATED_TYPE, [await subscriptions.create(v1CallerOf(request).workspaces, request.params.id, request.body)]), 201);
    },
  );
}
