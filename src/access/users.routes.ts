import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountMissing } from '../platform/platform-errors.ts';
import { v1Envelope } from '../platform/v1-envelope.ts';
import { errors } from '../server/error-body.schema.ts';
import { accountQuery } from '../server/path-params.ts';
import { callerOf } from '../server/tenant-scope.ts';
import { userBody, userEnvelope, userParams } from './access.openapi.ts';
import type { UserScope, UserService } from './users.ts';

export interface UserRoutesDeps {
  users: UserService;
}

type Account = { Querystring: { accountId?: number } };
type One = Account & { Params: { userId: string } };
const envelope = (data: readonly unknown[]) => v1Envelope('user', data);
const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: ['Users (v1)'], querystring: accountQuery, ...extra });

/**
 * mParticle's Platform API v1 users (`/v1/users?accountId=`), in the v1 envelope; creating,
 * updating and deleting (commented out of mParticle's page, done in its UI) are Quanta's. Thin
 * routes over {@link UserService}; register with `tenantRoutes`.
 */
export async function userRoutes(app: FastifyInstance, deps: UserRoutesDeps): Promise<void> {
  const { users } = deps;
  const scopeOf = (request: FastifyRequest<Account>): UserScope => {
    if (request.query.accountId === undefined) throw new AccountMissing();
    const { principal, accountId } = callerOf(request);
    return { orgId: principal.orgId, accountId, caller: principal };
  };
  const accepted = (reply: FastifyReply, body: unknown) => reply.code(202).send(body);

  app.get<Account>('/v1/users', { schema: schema("The account's users", { response: { 200: userEnvelope, ...errors(401, 403) } }) }, async (request) => envelope(users.list(scopeOf(request))));
  app.get<One>('/v1/users/:userId', { schema: schema('One user, by id (test40mparticle2Ecom) or email', { params: userParams, response: { 200: userEnvelope, ...errors(401, 403, 404) } }) }, async (request) =>
    envelope([users.get(scopeOf(request), request.params.userId)]),
  );
  app.post<Account>(
    '/v1/users',
    { schema: schema('Add a user with a role; the password Quanta makes (when none is set) is answered only here', { body: userBody, response: { 201: userEnvelope, ...errors(400, 401, 403, 409) } }) },
    async (request, reply) => reply.code(201).send(envelope([users.create(scopeOf(request), request.body)])),
  );
  app.put<One>('/v1/users/:userId', { schema: schema("Change a user's names, role or password", { params: userParams, body: userBody, response: { 202: userEnvelope, ...errors(400, 401, 403, 404) } }) }, async (request, reply) =>
    accepted(reply, envelope([users.update(scopeOf(request), request.params.userId, request.body)])),
  );
  app.delete<One>('/v1/users/:userId', { schema: schema('Remove a user; their tokens stop working now', { params: userParams, response: { 202: userEnvelope, ...errors(401, 403, 404) } }) }, async (request, reply) => {
    users.delete(scopeOf(request), request.params.userId);
    return accepted(reply, envelope([]));
  });
}
