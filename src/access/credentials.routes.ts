import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors, noContent } from '../server/error-body.schema.ts';
import { callerOf } from '../server/tenant-scope.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import type { RateLimiter } from '../platform/rate-limiter.ts';
import { accountParams, credential, credentialBody, credentialList, credentialParams, credentialWithSecret, manifest, manifestBody, taskList } from './access.openapi.ts';
import type { ApiClientService, CredentialScope } from './api-clients.ts';
import type { RoleService } from './roles.ts';

export interface CredentialRoutesDeps {
  clients: ApiClientService;
  roles: RoleService;
  platform: PlatformStore;
  /** The custom roles API's throttle: 100 requests a minute per organisation, as mParticle's. */
  rolesLimiter: RateLimiter;
}

type Account = { Params: { orgId: number; accountId: number } };
type One = { Params: { orgId: number; accountId: number; id: number } };
const PATH = '/platform/v2/organizations/:orgId/accounts/:accountId';
/** The custom roles API's limit per organisation. */
export const ROLES_PER_MINUTE = 100;
const schema = (summary: string, tags: string, extra: Record<string, unknown>) => ({ summary, tags: [tags], ...extra });

/**
 * API credentials (`.../credentials`) and the custom roles API (`.../roles`, `.../tasks`) of an
 * account; thin routes over {@link ApiClientService} and {@link RoleService}; register with
 * `tenantRoutes` (the roles routes name their own permission).
 */
export async function credentialRoutes(app: FastifyInstance, deps: CredentialRoutesDeps): Promise<void> {
  const { clients, roles, platform, rolesLimiter } = deps;
  const scopeOf = (request: FastifyRequest<Account>): CredentialScope => {
    const caller = callerOf(request);
    return { orgId: request.params.orgId, accountId: caller.accountId, workspaces: platform.workspacesOf(caller.accountId), caller: caller.principal };
  };
  const tag = 'API credentials';
  app.get<Account>(`${PATH}/credentials`, { schema: schema("The account's API credentials (never their secrets)", tag, { params: accountParams, response: { 200: credentialList, ...errors(400, 401, 403) } }) }, async (request) => ({
    credentials: clients.list(scopeOf(request)),
  }));
  app.post<Account>(
    `${PATH}/credentials`,
    { schema: schema('Create API credentials: permissions per API and a scope; the secret is answered only here', tag, { params: accountParams, body: credentialBody, response: { 201: credentialWithSecret, ...errors(400, 401, 403) } }) },
    async (request, reply) => reply.code(201).send(clients.create(scopeOf(request), request.body)),
  );
  app.get<One>(`${PATH}/credentials/:id`, { schema: schema('One API credential', tag, { params: credentialParams, response: { 200: credential, ...errors(400, 401, 403, 404) } }) }, async (request) =>
    clients.get(scopeOf(request), request.params.id),
  );
  app.put<One>(
    `${PATH}/credentials/:id`,
    { schema: schema('Edit API credentials (name, permissions, scope, is_active): effective on the next call', tag, { params: credentialParams, body: credentialBody, response: { 200: credential, ...errors(400, 401, 403, 404) } }) },
    async (request) => clients.update(scopeOf(request), request.params.id, request.body),
  );
  app.post<One>(
    `${PATH}/credentials/:id/rotate`,
    { schema: schema('Issue a new secret (answered only here); the old secret and its tokens stop working now', tag, { params: credentialParams, response: { 200: credentialWithSecret, ...errors(400, 401, 403, 404) } }) },
    async (request) => clients.rotate(scopeOf(request), request.params.id),
  );
  app.delete<One>(
    `${PATH}/credentials/:id`,
    { schema: schema('Delete API credentials for good; their tokens stop working now', tag, { params: credentialParams, response: { 204: noContent('Deleted'), ...errors(400, 401, 403, 404) } }) },
    async (request, reply) => {
      clients.delete(scopeOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  const rolesTag = 'Custom access roles';
  const rolesPermission = { api: 'platform', area: 'user_management' } as const;
  const throttled = (request: FastifyRequest<Account>) => rolesLimiter.take(`roles:${request.params.orgId}`, ROLES_PER_MINUTE / 60, 1, 'organisation', ROLES_PER_MINUTE);
  app.get<Account>(
    `${PATH}/tasks`,
    { config: { permission: rolesPermission }, schema: schema('Every task a custom role may hold', rolesTag, { params: accountParams, response: { 200: taskList, ...errors(400, 401, 403, 429) } }) },
    async (request) => {
      throttled(request);
      return roles.tasks();
    },
  );
  app.get<Account>(
    `${PATH}/roles`,
    { config: { permission: rolesPermission }, schema: schema("The organisation's custom role manifest", rolesTag, { params: accountParams, response: { 200: manifest, ...errors(400, 401, 403, 429) } }) },
    async (request) => {
      throttled(request);
      return roles.manifest(request.params.orgId);
    },
  );
  app.put<Account>(
    `${PATH}/roles`,
    { config: { permission: rolesPermission }, schema: schema('Replace the custom role manifest (create, modify and delete roles)', rolesTag, { params: accountParams, body: manifestBody, response: { 200: manifest, ...errors(400, 401, 403, 429) } }) },
    async (request) => {
      throttled(request);
      return roles.replace(request.params.orgId, request.body, callerOf(request).actor.by);
    },
  );
}
