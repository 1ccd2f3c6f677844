import type { WorkspaceId } from '../kernel/ids.ts';
import type { Capability } from '../runtime/capability.ts';
import { adoptContract } from './contract-plans.ts';
import type { FeedContract } from './feed-contract.ts';
import { FeedContracts } from './feed-contracts.ts';
import { FeedService } from './feed-service.ts';
import { FeedSubscriptions } from './feed-subscriptions.ts';
import { feedSubscriptionRoutes } from './feed-subscriptions.routes.ts';
import { feedRoutes } from './feeds.routes.ts';

declare module '../runtime/capability.ts' {
  interface ProcessorServices {
    /** The contract each input's data is held to (its feed module's): its plan, its events' descriptions. */
    feedContracts: FeedContracts;
  }
}

/**
 * Partner feeds: inputs created through mParticle's Platform API v1 (`/v1/workspace/{ws}/partnerfeeds`)
 * as one of the feed modules (CleverTap, Custom Feed), each with its own key and secret, which
 * partners send Events API batches with to `/s2s/v2/...` (the sources capability serves those).
 * A module's contract (CleverTap's) is a data plan in each workspace with a feed of it, put there
 * when such a feed is saved and at start (for feeds saved before), and the built-in plan of the
 * feed's batches that name none: violations are reported, nothing is blocked.
 */
export const feeds: Capability = {
  name: 'feeds',
  async app(ctx) {
    const platform = await ctx.store('platform');
    const plans = ctx.use('dataPlans');
    const adopt = (ws: WorkspaceId, contract: FeedContract) =>
      adoptContract(plans, ws, contract).catch((error: unknown) =>
        ctx.logger.error({ err: error, workspaceId: ws, planId: contract.planId }, 'the feed contract plan could not be created; the feed is not checked against it'),
      );
    const service = new FeedService(platform, ctx.use('inputs'), {
      rateLimitPerSecond: ctx.config.bootstrap.rateLimitPerSecond,
      adopt: (ws, contract) => void adopt(ws, contract),
    });
    for (const { ws, contract } of service.contracts()) await adopt(ws, contract);
    ctx.tenantRoutes(feedRoutes, { feeds: service }, { api: 'platform', area: 'connections', writeTask: 'connections:configure_inputs' });
    ctx.tenantRoutes(feedSubscriptionRoutes, { subscriptions: new FeedSubscriptions(() => ctx.use('connections'), platform) }, { api: 'platform', area: 'connections', writeTask: 'connections:connect_integration' });
  },
  async processor(ctx) {
    const platform = await ctx.store('platform');
    const contracts = new FeedContracts(() => platform.inputs());
    ctx.use('builtInPlans').add((_ws, input) => contracts.contractOf(input)?.planId);
    ctx.provide('feedContracts', contracts);
  },
};
