import type { FastifyInstance } from 'fastify';
import { explainIdentities } from './explain.ts';
import type { IdentityGraph } from './identity-graph.ts';
import { MpidInvalid, MpidUnknown } from './identity-errors.ts';
import { parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import { workspaceForClient } from '../platform/access.ts';
import type { TokenService } from '../platform/oauth.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import { workspaceIdParam } from '../server/path-params.ts';

export interface IdentityExplainRoutesDeps {
  graph: IdentityGraph;
  tokens: TokenService;
  platform: PlatformStore;
}

/**
 * Quanta's explainable identity: `GET /platform/v2/workspaces/{workspaceId}/identities/{mpid}`
 * answers, for every identity on a profile, why it is there, and lists the profile's identity
 * history (creations, additions, changes, removals, aliasing) with their reasons.
 */
export async function identityExplainRoutes(app: FastifyInstance, deps: IdentityExplainRoutesDeps): Promise<void> {
  app.get<{ Params: { workspaceId: number; mpid: string } }>(
    '/platform/v2/workspaces/:workspaceId/identities/:mpid',
    {
      schema: {
        summary: 'Why each identity is on a profile, and the profile\'s identity history',
        tags: ['Identity'],
        security: [{ bearer: [] }],
        params: { type: 'object', properties: { workspaceId: workspaceIdParam, mpid: { type: 'string' } } },
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async (request, reply) => {
      const clientId = deps.tokens.verify(request.headers.authorization);
      const ws = workspaceForClient(deps.platform, clientId, request.params.workspaceId, request.params.workspaceId as WorkspaceId);
      const mpid = parseMpid(request.params.mpid);
      if (!mpid) throw new MpidInvalid(request.params.mpid);
      const explained = await explainIdentities(deps.graph, ws, mpid);
      if (!explained) throw new MpidUnknown(mpid, ws);
      return reply.type('application/json').send(stringifyLossless(explained));
    },
  );
}
