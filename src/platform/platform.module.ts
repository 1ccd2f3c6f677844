import type { Capability } from '../runtime/capability.ts';
import { bootstrap, type Bootstrapped } from './bootstrap.ts';
import { InputDirectory } from './credentials.ts';
import type { PlatformStore } from './platform-store.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    platform: PlatformStore;
  }
  interface AppServices {
    /** The default tenant and the credentials of its input and API client. */
    bootstrapped: Bootstrapped;
    /** Inputs by API key: how every ingest and identity route authenticates. */
    inputs: InputDirectory;
  }
}

/** Tenants and inputs: the bootstrap tenant and the inputs' keys and secrets. */
export const platform: Capability = {
  name: 'platform',
  async app(ctx) {
    const store = await ctx.store('platform');
    ctx.provide('bootstrapped', bootstrap(store, ctx.config.bootstrap));
    ctx.provide('inputs', new InputDirectory(store));
  },
};
