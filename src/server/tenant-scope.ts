import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Caller } from '../platform/access.ts';
import type { RoutePlugin } from './route-plugin.ts';

export type { Caller };

/**
 * Checks a tenant route's caller: the Bearer token (401 without a valid one), the tenant ids in
 * the path (400 when malformed) and that the token's organisation owns them (403). The platform
 * capability's `PlatformAccess.tenant` is one.
 */
export type TenantAuth = (authorization: string | undefined, params: Readonly<Record<string, string | undefined>>) => Caller;

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** The caller the tenant scope checked; only routes registered with `tenantRoutes` have one. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error(`${request.routeOptions.url} is not a tenant route: register it with tenantRoutes`);
  return request.caller;
}

/**
 * One fastify scope for every route that names a tenant in its path (`/platform/v2/workspaces/
 * {workspaceId}/...`, `/userprofile/v1/{orgId}/{accountId}/{workspaceId}/...`): one `onRequest`
 * hook checks the caller before anything else runs, so a caller without a valid token learns
 * nothing of a route's other rules (401 before any 400), and no route checks it again.
 */
export function tenantScope(authorize: TenantAuth, plugins: readonly { plugin: RoutePlugin<unknown>; options: unknown }[]) {
  return async function tenantRoutes(scope: FastifyInstance): Promise<void> {
    scope.decorateRequest('caller', undefined);
    scope.addHook('onRequest', async (request) => {
      request.caller = authorize(request.headers.authorization, request.params as Record<string, string | undefined>);
    });
    for (const { plugin, options } of plugins) await scope.register(plugin, options as never);
  };
}
