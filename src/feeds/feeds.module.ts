import type { Capability } from '../runtime/capability.ts';
import { FeedService } from './feed-service.ts';
import { feedRoutes } from './feeds.routes.ts';

/**
 * Partner feeds: inputs created through mParticle's Platform API v1 (`/v1/workspace/{ws}/partnerfeeds`)
 * as one of the feed modules (CleverTap, Custom Feed), each with its own key and secret, which
 * partners send Events API batches with to `/s2s/v2/...` (the sources capability serves those).
 */
export const feeds: Capability = {
  name: 'feeds',
  async app(ctx) {
    const platform = await ctx.store('platform');
    const service = new FeedService(platform, ctx.use('inputs'), { rateLimitPerSecond: ctx.config.bootstrap.rateLimitPerSecond });
    ctx.tenantRoutes(feedRoutes, { feeds: service, accountOf: (ws) => platform.tenantOf(ws)?.accountId, workspacesOf: (account) => platform.workspacesOf(account) });
  },
};
