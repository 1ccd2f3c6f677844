import type { FastifyRequest } from 'fastify';
import { workspaceId, type WorkspaceId } from '../kernel/ids.ts';
import { workspaceForClient } from '../platform/access.ts';
import type { TokenService } from '../platform/oauth.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import { PathIdInvalid } from './http-errors.ts';

export interface PlatformCallerDeps {
  tokens: TokenService;
  platform: PlatformStore;
}

/**
 * The Platform API's caller check: the Bearer token's API client (401 without a valid one) and
 * the workspace in the path, if that client's organisation owns it (403 otherwise).
 */
export function platformCaller(deps: PlatformCallerDeps) {
  return (request: FastifyRequest<{ Params: { workspaceId: number } }>): { clientId: string; ws: WorkspaceId } => {
    const clientId = deps.tokens.verify(request.headers.authorization);
    const requested = request.params.workspaceId;
    // Path integers are read as safe integers, but a route whose schema does not bound its workspace
    // id (plans.routes.ts, for now) lets 0 and negatives through.
    if (requested < 1) throw new PathIdInvalid([{ name: 'workspaceId', value: String(requested) }]);
    return { clientId, ws: workspaceForClient(deps.platform, clientId, requested, workspaceId(requested)) };
  };
}
