import type { Capability } from '../runtime/capability.ts';
import { AccountService } from './account-service.ts';
import { accountRoutes } from './accounts.routes.ts';
import { UserInsights } from './user-insights.ts';

/**
 * Accounts and workspaces through mParticle's Platform API v1 (`/v1/accounts`, `/v1/workspace`,
 * and a workspace's User Insights report): the organisation → account → workspace hierarchy of
 * the platform store, with names and times.
 */
export const accounts: Capability = {
  name: 'accounts',
  async app(ctx) {
    const store = await ctx.store('platform');
    const outputs = await ctx.store('connections');
    const service = new AccountService({ store, hasOutputs: (ws) => outputs.outputs(ws).length > 0 });
    // The event store is the processor thread's: its counts are calls to it.
    const insights = new UserInsights(store, { events: (filter) => ctx.call('events.count', filter), users: (ws, inputIds) => ctx.call('events.userCount', ws, inputIds) });
    ctx.tenantRoutes(accountRoutes, { accounts: service, insights }, { api: 'platform', area: 'workspaces' });
  },
};
