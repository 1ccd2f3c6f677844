import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Caller, TenantRequest } from '../model/caller.ts';
import { describePermission, type Permission, writes } from '../model/permissions.ts';
import { AccountMissing } from '../platform/platform-errors.ts';
import type { RoutePlugin } from './route-plugin.ts';

export type { Caller };

/**
 * Checks a tenant route's caller: the Bearer token (401 without a valid one), the permission the
 * route needs (403), the tenant ids in the path (400 when malformed) and that the caller's scope
 * holds them (403). The access capability's `AccessControl.authorize` is one.
 */
export type TenantAuth = (request: TenantRequest, permission: Permission) => Caller;

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
  interface FastifyContextConfig {
    /** What a tenant route needs of its caller; a plugin's routes get the plugin's unless they name their own. */
    permission?: Permission;
  }
}

/** A tenant route plugin, with what its routes need of their caller. */
export interface TenantRouteRegistration {
  plugin: RoutePlugin<unknown>;
  options: unknown;
  permission: Permission;
}

/**
 * The caller of a Platform API v1 route, which must send `?accountId=` (401 without it, as
 * mParticle answers); the tenant scope has checked it is the path workspace's account or, on a
 * route naming no workspace, an account in the caller's scope, and made it `caller.accountId`.
 */
export function v1CallerOf(request: FastifyRequest): Caller {
  if ((request.query as { accountId?: unknown }).accountId === undefined) throw new AccountMissing();
  return callerOf(request);
}

/** The caller the tenant scope checked; only routes registered with `tenantRoutes` have one. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error(`${request.routeOptions.url} is not a tenant route: register it with tenantRoutes`);
  return request.caller;
}

/** Stamps a route with its permission, and lists it in the OpenAPI document (its OAuth scope and a line of its description). */
function withPermission(route: RouteOptions, permission: Permission): void {
  const needs = route.config?.permission ?? permission;
  route.config = { ...route.config, permission: needs };
  const write = writes(route.method, needs);
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const line = `Permission: ${describePermission(needs, write)}.`;
  route.schema = {
    ...schema,
    security: [{ oauth: [`${needs.api}:${write ? 'admin' : 'read_only'}`] }],
    description: typeof schema.description === 'string' ? `${schema.description}\n\n${line}` : line,
  };
}

/**
 * One fastify scope for every route that names a tenant (`/platform/v2/workspaces/{workspaceId}/...`,
 * `/userprofile/v1/{orgId}/{accountId}/{workspaceId}/...`, Platform API v1 with `?accountId=`):
 * one `onRequest` hook checks the caller before anything else runs, so a caller without a valid
 * token or the permission learns nothing of a route's other rules (401 and 403 before any 400),
 * and no route checks it again.
 */
export function tenantScope(authorize: TenantAuth, registrations: readonly TenantRouteRegistration[]) {
  return async function tenantRoutes(scope: FastifyInstance): Promise<void> {
    scope.decorateRequest('caller', undefined);
    scope.addHook('onRequest', async (request) => {
      const permission = request.routeOptions.config.permission;
      if (!permission) throw new Error(`${request.routeOptions.url} has no permission: register it with tenantRoutes`);
      const query = request.query as Record<string, string | undefined>;
      request.caller = authorize(
        { authorization: request.headers.authorization, params: request.params as Record<string, string | undefined>, accountId: query.accountId, write: writes(request.method, permission) },
        permission,
      );
    });
    for (const { plugin, options, permission } of registrations) {
      await scope.register(async (inner) => {
        inner.addHook('onRoute', (route) => withPermission(route, permission));
        await inner.register(plugin, options as never);
      });
    }
  };
}
