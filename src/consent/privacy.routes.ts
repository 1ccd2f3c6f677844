import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { workspaceIdParam } from '../server/path-params.ts';
import { callerOf } from '../server/tenant-scope.ts';
import type { PrivacySettingsService } from './privacy-service.ts';
import { errors, purposeBodySchema, purposeListSchema, purposeSchema, settingsChangeSchema, settingsSchema } from './privacy.openapi.ts';

export interface PrivacyRoutesDeps {
  privacy: PrivacySettingsService;
}

interface WorkspaceParams {
  workspaceId: number;
}
interface PurposeParams extends WorkspaceParams {
  purpose: string;
}

const PREFIX = '/platform/v2/workspaces/:workspaceId/privacy';
const TAG = 'Privacy Settings';

const workspaceParam = { workspaceId: { ...workspaceIdParam, description: 'The workspace whose privacy settings these are', examples: [1234] } };
const workspaceParams = { type: 'object', required: ['workspaceId'], properties: workspaceParam };
const purposeParams = { type: 'object', required: ['workspaceId', 'purpose'], properties: { ...workspaceParam, purpose: { type: 'string', description: 'A consent purpose', examples: ['location_collection'] } } };

/**
 * The privacy settings of a workspace, Platform API v2 style (Quanta's own: mParticle sets them
 * in its UI): regulations, GDPR purposes (added, never removed), the erasure waiting period and
 * the GPC mapping, under `/platform/v2/workspaces/{workspace_id}/privacy`, with Bearer tokens
 * from `/oauth/token`: thin routes over {@link PrivacySettingsService}.
 */
export async function privacyRoutes(app: FastifyInstance, deps: PrivacyRoutesDeps): Promise<void> {
  const { privacy } = deps;
  const send = (reply: FastifyReply, body: unknown, status = 200) => reply.status(status).type('application/json').send(JSON.stringify(body));
  const ws = (request: FastifyRequest) => callerOf(request).workspaceId;
  const schema = (summary: string, extra: Record<string, unknown>) => ({ summary, tags: [TAG], ...extra });

  app.get<{ Params: WorkspaceParams }>(
    PREFIX,
    { schema: schema("A workspace's privacy settings: regulations, purposes, erasure waiting period, GPC mapping", { params: workspaceParams, response: { 200: settingsSchema, ...errors(400, 401, 403) } }) },
    async (request, reply) => send(reply, privacy.view(ws(request))),
  );

  app.patch<{ Params: WorkspaceParams }>(
    PREFIX,
    {
      schema: schema('Change privacy settings: any of regulations, erasure_waiting_period_days and gpc; answers the settings', {
        params: workspaceParams,
        body: settingsChangeSchema,
        response: { 200: settingsSchema, ...errors(400, 401, 403) },
      }),
    },
    async (request, reply) => send(reply, await privacy.update(ws(request), request.body)),
  );

  app.get<{ Params: WorkspaceParams }>(
    `${PREFIX}/purposes`,
    { schema: schema("A workspace's consent purposes: its GDPR purposes, and CCPA's data_sale_opt_out while CCPA is enabled", { params: workspaceParams, response: { 200: purposeListSchema, ...errors(400, 401, 403) } }) },
    async (request, reply) => send(reply, privacy.purposes(ws(request))),
  );

  app.post<{ Params: WorkspaceParams }>(
    `${PREFIX}/purposes`,
    {
      schema: schema('Add a GDPR purpose (once added it cannot be removed)', {
        params: workspaceParams,
        body: purposeBodySchema,
        response: { 201: purposeSchema, ...errors(400, 401, 403, 409) },
      }),
    },
    async (request, reply) => send(reply, await privacy.addPurpose(ws(request), request.body, callerOf(request).actor), 201),
  );

  app.delete<{ Params: PurposeParams }>(
    `${PREFIX}/purposes/:purpose`,
    {
      schema: schema('Refused: a purpose once added cannot be removed (409; 404 for a purpose the workspace has not)', {
        params: purposeParams,
        response: errors(400, 401, 403, 404, 409),
      }),
    },
    async (request) => privacy.removePurpose(ws(request), request.params.purpose),
  );
}
