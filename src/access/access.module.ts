import type { Capability } from '../runtime/capability.ts';
import { AccessControl } from './access-control.ts';
import type { AccessStore } from './access-store.ts';
import { ApiClientService } from './api-clients.ts';
import { credentialRoutes } from './credentials.routes.ts';
import { oauthRoutes } from './oauth.routes.ts';
import { APIS } from '../model/permissions.ts';
import { RateLimiter } from '../platform/rate-limiter.ts';
import { RoleService } from './roles.ts';
import { sha256 } from './secrets.ts';
import { TokenService } from './tokens.ts';
import { userRoutes } from './users.routes.ts';
import { UserService } from './users.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    access: AccessStore;
  }
  interface AppServices {
    tokens: TokenService;
    /** Who may call the Bearer-token routes, and where. */
    access: AccessControl;
  }
}

/**
 * Who calls the Bearer-token APIs, and what they may do: OAuth tokens, API credentials with
 * permissions per API and a scope, users with built-in or custom roles, and the check of every
 * tenant route (`tenantAuth`).
 */
export const access: Capability = {
  name: 'access',
  async app(ctx) {
    const store = await ctx.store('access');
    const platform = await ctx.store('platform');
    const { client, tenant } = ctx.use('bootstrapped');
    // The bootstrap client: the whole organisation, admin on every API.
    const existing = store.client(client.clientId);
    const at = Date.now();
    store.saveClient({
      ...(existing ? { id: existing.id, createdAtMs: existing.createdAtMs } : { createdAtMs: at }),
      clientId: client.clientId,
      secretHash: sha256(client.clientSecret),
      name: 'Bootstrap client',
      orgId: client.orgId,
      accountId: null,
      workspaceIds: null,
      permissions: APIS.map((api) => ({ api, permission: 'admin' })),
      active: true,
      modifiedAtMs: at,
    });
    const tokens = new TokenService(store);
    const control = new AccessControl(tokens, store, platform, tenant.workspaceId);
    ctx.provide('tokens', tokens);
    ctx.provide('access', control);
    ctx.provide('tenantAuth', (request, permission) => control.authorize(request, permission));
    ctx.routes(oauthRoutes, { tokens });
    ctx.tenantRoutes(credentialRoutes, { clients: new ApiClientService(store), roles: new RoleService(store), platform, rolesLimiter: new RateLimiter() }, { api: 'platform', area: 'api_credentials' });
    ctx.tenantRoutes(userRoutes, { users: new UserService(store) }, { api: 'platform', area: 'user_management' });
  },
};
