import type { Capability } from '../runtime/capability.ts';
import { liveStreamStage } from './live-stream.stage.ts';
import { liveStreamRoutes } from './livestream.routes.ts';

/** The Live Stream: processed events and blocked data, as they pass, to whoever watches (last stage). */
export const livestream: Capability = {
  name: 'livestream',
  processor(ctx) {
    ctx.stage(liveStreamStage(ctx.live));
  },
  app(ctx) {
    const access = ctx.use('access');
    ctx.routes(liveStreamRoutes, {
      live: ctx.live,
      watchable: (authorization, requested) =>
        access.authorize({ authorization, params: requested === undefined ? {} : { workspaceId: String(requested) }, write: false }, { api: 'platform', area: 'live_stream' }).workspaceId,
    });
  },
};
