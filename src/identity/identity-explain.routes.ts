import type { FastifyInstance } from 'fastify';
import { explainIdentities } from './explain.ts';
import type { IdentityGraph } from './identity-graph.ts';
import { MpidInvalid, MpidUnknown } from './identity-errors.ts';
import { parseMpid } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import { callerOf } from '../server/tenant-scope.ts';

export interface IdentityExplainRoutesDeps {
  graph: IdentityGraph;
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
        params: { type: 'object', properties: { workspaceId: workspaceIdParam, mpid: { type: 'string' } } },
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async (request, reply) => {
      const ws = callerOf(request).workspaceId;
      const mpid = parseMpid(request.params.mpid);
      if (!mpid) throw new MpidInvalid(request.params.mpid);
      const explained = await explainIdentities(deps.graph, ws, mpid);
      if (!explained) throw new MpidUnknown(mpid, ws);
      return reply.type('application/json').send(stringifyLossless(explained));
    },
  );
}
