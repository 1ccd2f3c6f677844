import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MpidInvalid } from '../identity/identity-errors.ts';
import { parseMpid } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import { accountIdParam, orgIdParam, workspaceIdParam } from '../server/path-params.ts';
import { callerOf } from '../server/tenant-scope.ts';
import { parseFields, PROFILE_FIELDS, type ProfileApi } from './profile-api.ts';

export interface ProfileRoutesDeps {
  profileApi: ProfileApi;
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

/**
 * mParticle's Profile API under `/userprofile/v1`, with Bearer tokens from `/oauth/token`: a
 * tenant scope's routes (the token, and that the path's org, account and workspace are the
 * caller's, are checked before they run).
 */
export async function profileRoutes(app: FastifyInstance, deps: ProfileRoutesDeps): Promise<void> {
  const send = (reply: FastifyReply, body: Record<string, unknown>) => reply.type('application/json').send(stringifyLossless(body));

  const byMpid = async (request: FastifyRequest<{ Params: TenantParams & { mpid: string }; Querystring: { fields?: string } }>, reply: FastifyReply) => {
    const ws = callerOf(request).workspaceId;
    const fields = parseFields(request.query.fields);
    const mpid = parseMpid(request.params.mpid);
    if (!mpid) throw new MpidInvalid(request.params.mpid);
    return send(reply, await deps.profileApi.byMpid(ws, mpid, fields));
  };
  const schema = (summary: string) => ({
    summary,
    tags: ['Profile API'],
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
      const ws = callerOf(request).workspaceId;
      const fields = parseFields(request.query.fields);
      return send(reply, await deps.profileApi.resolve(ws, request.body, fields));
    },
  );
}
