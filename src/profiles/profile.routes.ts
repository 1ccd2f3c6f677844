import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import type { TokenService } from '../platform/oauth.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import { parseFields, PROFILE_FIELDS, type ProfileApi } from './profile-api.ts';
import { workspaceForClient } from '../platform/access.ts';
import { MpidInvalid } from '../identity/identity-errors.ts';
import { accountIdParam, orgIdParam, workspaceIdParam } from '../server/path-params.ts';
import { TenantMismatch } from './profile-errors.ts';

export interface ProfileRoutesDeps {
  profileApi: ProfileApi;
  tokens: TokenService;
  platform: PlatformStore;
}

interface TenantParams {
  orgId: number;
  accountId: number;
  workspaceId: number;
}

const tenantParams = {
  type: 'object',
  required: ['orgId', 'accountId', 'workspaceId'],
  properties: { orgId: orgIdParam, accountId: accountIdParam, workspaceId: workspaceIdParam },
};
const fieldsQuery = {
  type: 'object',
  properties: { fields: { type: 'string', description: `Comma-separated: ${PROFILE_FIELDS.join(', ')}` } },
};
const profileBody = { type: 'object', additionalProperties: true, description: 'mpid, created and last stored times, opt-out and the fields asked for' };

/** mParticle's Profile API under `/userprofile/v1`, with Bearer tokens from `/oauth/token`. */
export async function profileRoutes(app: FastifyInstance, deps: ProfileRoutesDeps): Promise<void> {
  /** The workspace in the path, if the token's client may read it and the path's org and account are its own. */
  const workspace = (request: FastifyRequest, p: TenantParams): WorkspaceId => {
    const clientId = deps.tokens.verify(request.headers.authorization);
    const ws = workspaceForClient(deps.platform, clientId, p.workspaceId, p.workspaceId as WorkspaceId);
    const tenant = deps.platform.tenantOf(ws)!;
    if (tenant.orgId !== p.orgId || tenant.accountId !== p.accountId) {
      throw new TenantMismatch(ws, p.orgId, p.accountId);
    }
    return ws;
  };
  const send = (reply: FastifyReply, body: Record<string, unknown>) => reply.type('application/json').send(stringifyLossless(body));

  const byMpid = async (request: FastifyRequest<{ Params: TenantParams & { mpid: string }; Querystring: { fields?: string } }>, reply: FastifyReply) => {
    const ws = workspace(request, request.params);
    const fields = parseFields(request.query.fields);
    const mpid = parseMpid(request.params.mpid);
    if (!mpid) throw new MpidInvalid(request.params.mpid);
    return send(reply, await deps.profileApi.byMpid(ws, mpid, fields));
  };
  const schema = (summary: string) => ({
    summary,
    tags: ['Profile API'],
    security: [{ bearer: [] }],
    params: { ...tenantParams, required: [...tenantParams.required, 'mpid'], properties: { ...tenantParams.properties, mpid: { type: 'string' } } },
    querystring: fieldsQuery,
    response: { 200: profileBody },
  });
  app.get('/userprofile/v1/:orgId/:accountId/:workspaceId/:mpid', { schema: schema('A user profile by MPID') }, byMpid);
  app.post('/userprofile/v1/:orgId/:accountId/:workspaceId/:mpid', { schema: schema('A user profile by MPID (POST, as the reference also shows)') }, byMpid);

  app.post<{ Params: TenantParams; Querystring: { fields?: string } }>(
    '/userprofile/v1/resolve/:orgId/:accountId/:workspaceId',
    {
      schema: {
        summary: 'A user profile by an immutable identity',
        tags: ['Profile API'],
        security: [{ bearer: [] }],
        params: tenantParams,
        querystring: fieldsQuery,
        body: {
          type: 'object',
          properties: {
            environment_type: { type: 'string', enum: ['production', 'development'] },
            identity: { type: 'object', properties: { type: { type: 'string' }, value: { type: 'string' } } },
          },
        },
        response: { 200: profileBody },
      },
    },
    async (request, reply) => {
      const ws = workspace(request, request.params);
      const fields = parseFields(request.query.fields);
      return send(reply, await deps.profileApi.resolve(ws, request.body, fields));
    },
  );
}
