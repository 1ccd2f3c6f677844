import type { Capability } from '../runtime/capability.ts';
import { PlatformAccess } from './access.ts';
import { bootstrap, type Bootstrapped } from './bootstrap.ts';
import { InputDirectory } from './credentials.ts';
import { TokenService } from './oauth.ts';
import { oauthRoutes } from './oauth.routes.ts';
import type { PlatformStore } from './platform-store.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    platform: PlatformStore;
  }
  interface AppServices {
    /** The default tenant and the credentials of its input and API client. */
    bootstrapped: Bootstrapped;
    tokens: TokenService;
    /** Inputs by API key: how every ingest and identity route authenticates. */
    inputs: InputDirectory;
    access: PlatformAccess;
  }
}

/** Tenants, inputs and API clients: the bootstrap tenant, credentials, OAuth tokens, and who may call what. */
export const platform: Capability = {
  name: 'platform',
  async app(ctx) {
    const store = await ctx.store('platform');
    const bootstrapped = bootstrap(store, ctx.config.bootstrap);
    const tokens = new TokenService(store);
    const access = new PlatformAccess(tokens, store, bootstrapped.tenant.workspaceId);
    ctx.provide('bootstrapped', bootstrapped);
    ctx.provide('tokens', tokens);
    ctx.provide('inputs', new InputDirectory(store));
    ctx.provide('access', access);
    ctx.provide('tenantAuth', (authorization, params) => access.tenant(authorization, params));
    ctx.routes(oauthRoutes, { tokens });
  },
};
