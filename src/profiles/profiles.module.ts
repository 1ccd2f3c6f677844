import { Counter } from 'prom-client';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Capability } from '../runtime/capability.ts';
import { ProfileApi } from './profile-api.ts';
import { profileRoutes } from './profile.routes.ts';
import { ProfileService } from './profile-service.ts';
import type { ProfileStore } from './profile-store.ts';
import { profileStage } from './profile.stage.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    profiles: ProfileStore;
  }
  interface AppServices {
    /** The Profile API; other capabilities add the attributes they keep for users (`addAttributeSource`). */
    profileApi: ProfileApi;
  }
  interface ProcessorServices {
    /** Profiles in memory on the processor thread, written in its flush. */
    profiles: ProfileService;
  }
  interface ProcessorCalls {
    /** Aliasing's profile effects: they run where the profiles changed by processing are held. */
    'profiles.alias': (ws: WorkspaceId, source: Mpid, destination: Mpid) => Promise<void>;
  }
}

/** User profiles: kept by the processor from every batch, read by the Profile API. */
export const profiles: Capability = {
  name: 'profiles',
  async processor(ctx) {
    const store = await ctx.store('profiles');
    const service = new ProfileService(store);
    const refusedAttributes = new Counter({
      name: 'quanta_user_attributes_refused_total',
      help: 'User attributes not stored on a profile because they break a documented limit.',
      registers: [ctx.metrics],
    });
    ctx.provide('profiles', service);
    ctx.stage(profileStage({ profiles: service, refusedAttributes, consent: ctx.use('consentPolicy') }));
    ctx.expose('profiles.alias', (ws, source, destination) => service.alias(ws, source, destination));
    ctx.eraser('profiles', async (ws, mpids) => {
      service.forget(ws, mpids);
      return store.eraseUsers(ws, mpids);
    });
  },
  async app(ctx) {
    const strategyFor = ctx.use('strategyFor');
    // Read from the store: the processor thread flushes the profiles it changes before it commits.
    const profileApi = new ProfileApi(await ctx.store('profiles'), ctx.use('graph'), (ws) => strategyFor(ws).loginIds);
    ctx.provide('profileApi', profileApi);
    ctx.tenantRoutes(profileRoutes, { profileApi }, { api: 'profile', area: 'user_activity', readOnly: true });
  },
};
