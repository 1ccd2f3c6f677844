import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callerOf, v1CallerOf } from '../server/tenant-scope.ts';
import type { AccountScope, AccountService } from './account-service.ts';
import {
  accountListSchema,
  accountParams,
  accountQuery,
  errors,
  insightsQuery,
  insightsSchema,
  nameBodySchema,
  noContent,
  workspaceListSchema,
  workspaceParams,
} from './accounts.openapi.ts';
import type { InsightsQuery, UserInsights } from './user-insights.ts';
import { v1Envelope } from '../platform/v1-envelope.ts';

export interface AccountRoutesDeps {
  accounts: AccountService;
  insights: UserInsights;
}

/** Sends a v1 answer as it is (the route schemas document it; they do not serialise it). */
export const sendV1 = (reply: FastifyReply, body: unknown, status = 200) => reply.status(status).type('application/json').send(JSON.stringify(body));

/** The accounts the caller may use: its organisation's, or its one account's. */
export function accountScopeOf(request: FastifyRequest): AccountScope {
  const { principal } = callerOf(request);
  return { orgId: principal.orgId, accountId: principal.accountId };
}

const TAG = 'Accounts and workspaces (v1)';
const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: [TAG], querystring: accountQuery, ...extra });

/**
 * mParticle's Platform API v1 accounts (`/v1/accounts`), workspaces (`/v1/workspace`) and User
 * Insights report, in the v1 envelope: GET answers 200, POST 201, PUT and DELETE 202. Thin
 * routes over {@link AccountService} and {@link UserInsights}; register with `tenantRoutes`.
 */
export async function accountRoutes(app: FastifyInstance, deps: AccountRoutesDeps): Promise<void> {
  const { accounts, insights } = deps;
  const account = (request: FastifyRequest) => v1CallerOf(request).accountId;
  type ById = { Params: { id: number } };

  app.get<ById>(
    '/v1/accounts/:id',
    { schema: schema('An account', { params: accountParams, response: { 200: accountListSchema, ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => {
      account(request);
      return sendV1(reply, v1Envelope('account', [accounts.get(accountScopeOf(request), request.params.id)]));
    },
  );
  app.get('/v1/accounts', { schema: schema("The organisation's accounts (those the caller may use)", { response: { 200: accountListSchema, ...errors(401, 403) } }) }, async (request, reply) => {
    account(request);
    return sendV1(reply, v1Envelope('account', accounts.list(accountScopeOf(request))));
  });
  app.put<ById>(
    '/v1/accounts/:id',
    { schema: schema('Rename an account', { params: accountParams, body: nameBodySchema, response: { 202: accountListSchema, ...errors(400, 401, 403, 404, 422) } }) },
    async (request, reply) => {
      account(request);
      return sendV1(reply, v1Envelope('account', [accounts.rename(accountScopeOf(request), request.params.id, request.body)]), 202);
    },
  );
  // `?accountId=` is not needed here: mParticle's example creates an account without one.
  app.post(
    '/v1/accounts',
    { schema: schema("Create an account in the caller's organisation, with one workspace", { body: nameBodySchema, response: { 201: accountListSchema, ...errors(400, 401, 403, 422) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('account', [accounts.create(accountScopeOf(request), request.body)]), 201),
  );
  app.delete(
    '/v1/accounts',
    { schema: schema('Delete the account ?accountId= names (refused while its workspaces hold apps, inputs or outputs)', { response: { 202: noContent('The account and its workspaces were deleted'), ...errors(401, 403, 404, 422) } }) },
    async (request, reply) => {
      accounts.delete(accountScopeOf(request), account(request));
      return reply.status(202).send();
    },
  );

  app.get('/v1/workspace', { schema: schema("The account's workspaces", { response: { 200: workspaceListSchema, ...errors(401, 403) } }) }, async (request, reply) =>
    sendV1(reply, v1Envelope('workspace', accounts.workspaces(account(request), callerOf(request).workspaces))),
  );
  app.post(
    '/v1/workspace',
    { schema: schema('Add a workspace to the account', { body: nameBodySchema, response: { 201: workspaceListSchema, ...errors(400, 401, 403, 422) } }) },
    async (request, reply) => sendV1(reply, v1Envelope('workspace', [accounts.createWorkspace(account(request), request.body)]), 201),
  );
  app.get<{ Params: { workspaceId: number }; Querystring: InsightsQuery }>(
    '/v1/workspace/:workspaceId/userinsights',
    {
      schema: schema("The User Insights report of a workspace, an app or a partner feed (Quanta's exact counts; what it does not compute is null)", {
        params: workspaceParams,
        querystring: insightsQuery,
        response: { 200: insightsSchema, ...errors(400, 401, 403, 404, 422) },
      }),
    },
    async (request, reply) => {
      account(request);
      return sendV1(reply, v1Envelope('user_insights', [await insights.report(callerOf(request).workspaceId, request.query)]));
    },
  );
}
