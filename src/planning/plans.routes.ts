import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { BadRequest, Conflict, NotFound, PayloadTooLarge } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { TokenService } from '../platform/oauth.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import { parseNewPlan, parseNewVersion, parsePlanChanges, parseVersionChanges } from './plan-document.ts';
import {
  ACTIVATED_ENVIRONMENTS,
  type DataPlan,
  type DataPlanVersion,
  type PlanStore,
} from './plan-store.ts';
import { handleError } from '../server/errors.ts';
import { platformCaller } from '../server/platform-caller.ts';
import { errorBody } from '../server/error-body.schema.ts';
import { versionDocumentSchema } from './plan-document.schema.ts';
import { compilePlanVersion } from './plan-compiler.ts';
import { validateBatch } from './validate.ts';
import { parseBatch } from '../model/batch-parser.ts';

export interface PlansRoutesDeps {
  plans: PlanStore;
  tokens: TokenService;
  platform: PlatformStore;
}

/** mParticle's limit on a data plan document. */
export const PLAN_BODY_BYTES = 10 * 1024 * 1024;

interface PlanParams {
  workspaceId: number;
  planId: string;
}
interface VersionParams extends PlanParams {
  version: number;
}

const PREFIX = '/platform/v2/workspaces/:workspaceId/plans';
const PLAN_TAG = 'Data Planning API';

const workspaceParam = { workspaceId: { type: 'integer', description: 'The workspace holding the plans' } };
const planParams = {
  type: 'object',
  required: ['workspaceId', 'planId'],
  properties: { ...workspaceParam, planId: { type: 'string', description: 'Slug ID of the data plan' } },
};
const versionParams = {
  type: 'object',
  required: ['workspaceId', 'planId', 'version'],
  properties: { ...planParams.properties, version: { type: 'integer', minimum: 1, description: 'The version number' } },
};
const audit = {
  created_on: { type: 'string', format: 'date-time', readOnly: true },
  created_by: { type: 'string', readOnly: true },
  last_modified_on: { type: 'string', format: 'date-time', readOnly: true },
  last_modified_by: { type: 'string', readOnly: true },
};
const versionFields = {
  version_description: { type: 'string' },
  activated_environment: { type: 'string', enum: [...ACTIVATED_ENVIRONMENTS], default: 'none' },
  version_document: versionDocumentSchema,
};
const versionSchema = {
  type: 'object',
  properties: { version: { type: 'integer', minimum: 1 }, data_plan_id: { type: 'string', readOnly: true }, ...versionFields, ...audit },
};
const planFields = { data_plan_name: { type: 'string' }, data_plan_description: { type: 'string' } };
const planSchema = {
  type: 'object',
  properties: {
    data_plan_id: { type: 'string', description: 'Derived from data_plan_name when absent' },
    ...planFields,
    data_plan_versions: { type: 'array', items: versionSchema },
    ...audit,
  },
};
const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, errorBody]));

const planNotFound = (ws: WorkspaceId, planId: string) => new NotFound(`The specified plan ID ${planId} in workspace ${ws} was not found.`);
const versionNotFound = (ws: WorkspaceId, planId: string, version: number) =>
  new NotFound(`The specified version ${version} in plan ID ${planId} was not found in workspace ${ws}.`);
const badRequest = (message: string) => new BadRequest([{ code: 'BAD_REQUEST', message }]);

/** A plan as listed: its versions without their documents (mParticle leaves data points out). */
const summary = (plan: DataPlan): DataPlan => ({
  ...plan,
  data_plan_versions: plan.data_plan_versions.map(({ version_document: _doc, ...v }) => v as DataPlanVersion),
});

/**
 * mParticle's Data Planning API, plan management: plans and plan versions under
 * `/platform/v2/workspaces/{workspace_id}/plans`, with Bearer tokens from `/oauth/token`.
 */
export async function plansRoutes(app: FastifyInstance, deps: PlansRoutesDeps): Promise<void> {
  // Plan documents may be up to 10 MB, so say so when one is larger (the app's message names 256 KB).
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const tooLarge = (error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    handleError(tooLarge ? new PayloadTooLarge('The data plan document is larger than 10 MB; split it into smaller plans.') : error, request, reply);
  });

  const caller = platformCaller(deps);
  const send = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(JSON.stringify(body));
  const schema = (summaryText: string, tag: string, extra: Record<string, unknown>) => ({
    summary: summaryText,
    tags: [PLAN_TAG, tag],
    security: [{ bearer: [] }],
    ...extra,
  });
  const now = () => new Date().toISOString();
  const by = (clientId: string) => `client_id:${clientId}`;

  app.get<{ Params: { workspaceId: number } }>(
    PREFIX,
    {
      schema: schema('All data plans of a workspace, their versions without documents', 'Data Plan', {
        params: { type: 'object', required: ['workspaceId'], properties: workspaceParam },
        response: { 200: { type: 'array', items: planSchema }, ...errors(401, 403) },
      }),
    },
    async (request, reply) => {
      const { ws } = caller(request);
      return send(reply, (await deps.plans.listPlans(ws)).map(summary));
    },
  );

  app.post<{ Params: { workspaceId: number } }>(
    PREFIX,
    {
      bodyLimit: PLAN_BODY_BYTES,
      schema: schema('Create a data plan, optionally with versions', 'Data Plan', {
        params: { type: 'object', required: ['workspaceId'], properties: workspaceParam },
        body: { ...planSchema, required: ['data_plan_name'] },
        response: { 200: planSchema, ...errors(400, 401, 403, 409, 413) },
      }),
    },
    async (request, reply) => {
      const { clientId, ws } = caller(request);
      const input = parseNewPlan(request.body);
      const stamp = { created_on: now(), created_by: by(clientId) };
      const plan: DataPlan = {
        ...input,
        ...stamp,
        data_plan_versions: input.data_plan_versions.map((v) => ({ ...v, data_plan_id: input.data_plan_id, ...stamp })),
      };
      if (!(await deps.plans.createPlan(ws, plan))) {
        throw new Conflict(`A data plan with ID ${plan.data_plan_id} already exists in workspace ${ws}; choose another data_plan_id.`);
      }
      return send(reply, await deps.plans.getPlan(ws, plan.data_plan_id));
    },
  );

  app.post<{ Params: { workspaceId: number } }>(
    `${PREFIX}/validate`,
    {
      bodyLimit: PLAN_BODY_BYTES,
      schema: schema('Validate an event batch against a plan version document', 'Validation', {
        params: { type: 'object', required: ['workspaceId'], properties: workspaceParam },
        body: {
          type: 'object',
          required: ['document', 'batch'],
          properties: { document: { type: 'object', additionalProperties: true }, batch: { type: 'object', additionalProperties: true } },
        },
        response: { 200: { type: 'object', properties: { results: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...errors(400, 401, 403, 413) },
      }),
    },
    async (request, reply) => {
      caller(request);
      const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as { document?: unknown; batch?: unknown };
      const plan = compilePlanVersion(body.document);
      const parsed = parseBatch(body.batch, 'batch');
      if (!parsed.ok) throw new BadRequest(parsed.problems);
      return send(reply, { results: validateBatch(plan, parsed.batch).results });
    },
  );

  app.get<{ Params: PlanParams }>(
    `${PREFIX}/:planId`,
    { schema: schema('A data plan with all its versions', 'Data Plan', { params: planParams, response: { 200: planSchema, ...errors(401, 403, 404) } }) },
    async (request, reply) => {
      const { ws } = caller(request);
      const plan = await deps.plans.getPlan(ws, request.params.planId);
      if (!plan) throw planNotFound(ws, request.params.planId);
      return send(reply, plan);
    },
  );

  app.patch<{ Params: PlanParams }>(
    `${PREFIX}/:planId`,
    {
      bodyLimit: PLAN_BODY_BYTES,
      schema: schema("Update a data plan's name or description", 'Data Plan', {
        params: planParams,
        body: { type: 'object', properties: planFields },
        response: { 200: planSchema, ...errors(400, 401, 403, 404, 413) },
      }),
    },
    async (request, reply) => {
      const { clientId, ws } = caller(request);
      const { planId } = request.params;
      const plan = await deps.plans.getPlan(ws, planId);
      if (!plan) throw planNotFound(ws, planId);
      const changes = parsePlanChanges(request.body, planId);
      const { data_plan_versions: _versions, ...header } = plan;
      if (!(await deps.plans.updatePlan(ws, { ...header, ...changes, last_modified_on: now(), last_modified_by: by(clientId) }))) {
        throw planNotFound(ws, planId);
      }
      return send(reply, await deps.plans.getPlan(ws, planId));
    },
  );

  app.delete<{ Params: PlanParams }>(
    `${PREFIX}/:planId`,
    {
      schema: schema('Delete a data plan and its versions', 'Data Plan', {
        params: planParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...errors(401, 403, 404) },
      }),
    },
    async (request, reply) => {
      const { ws } = caller(request);
      if (!(await deps.plans.deletePlan(ws, request.params.planId))) throw planNotFound(ws, request.params.planId);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: PlanParams }>(
    `${PREFIX}/:planId/versions`,
    {
      bodyLimit: PLAN_BODY_BYTES,
      schema: schema('Create a data plan version', 'Data Plan Version', {
        params: planParams,
        body: { ...versionSchema, required: ['version'] },
        response: { 200: versionSchema, ...errors(400, 401, 403, 404, 409, 413) },
      }),
    },
    async (request, reply) => {
      const { clientId, ws } = caller(request);
      const { planId } = request.params;
      const input = parseNewVersion(request.body);
      const version: DataPlanVersion = { ...input, data_plan_id: planId, created_on: now(), created_by: by(clientId) };
      const outcome = await deps.plans.createVersion(ws, version);
      if (outcome === 'no-plan') throw planNotFound(ws, planId);
      if (outcome === 'exists') {
        throw new Conflict(`Version ${version.version} of plan ${planId} already exists; change it with PATCH or choose another version.`);
      }
      return send(reply, version);
    },
  );

  app.get<{ Params: VersionParams }>(
    `${PREFIX}/:planId/versions/:version`,
    {
      schema: schema('A data plan version with its document', 'Data Plan Version', {
        params: versionParams,
        response: { 200: versionSchema, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => {
      const { ws } = caller(request);
      const { planId, version } = request.params;
      const found = await deps.plans.getVersion(ws, planId, version);
      if (!found) throw versionNotFound(ws, planId, version);
      return send(reply, found);
    },
  );

  app.patch<{ Params: VersionParams }>(
    `${PREFIX}/:planId/versions/:version`,
    {
      bodyLimit: PLAN_BODY_BYTES,
      schema: schema("Update a data plan version's description, environment or document", 'Data Plan Version', {
        params: versionParams,
        body: { type: 'object', properties: versionFields },
        response: { 200: versionSchema, ...errors(400, 401, 403, 404, 413) },
      }),
    },
    async (request, reply) => {
      const { clientId, ws } = caller(request);
      const { planId, version } = request.params;
      const found = await deps.plans.getVersion(ws, planId, version);
      if (!found) throw versionNotFound(ws, planId, version);
      const updated: DataPlanVersion = {
        ...found,
        ...parseVersionChanges(request.body, version),
        last_modified_on: now(),
        last_modified_by: by(clientId),
      };
      if (!(await deps.plans.updateVersion(ws, updated))) throw versionNotFound(ws, planId, version);
      return send(reply, updated);
    },
  );

  app.delete<{ Params: VersionParams }>(
    `${PREFIX}/:planId/versions/:version`,
    {
      schema: schema('Delete a data plan version', 'Data Plan Version', {
        params: versionParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...errors(400, 401, 403, 404) },
      }),
    },
    async (request, reply) => {
      const { ws } = caller(request);
      const { planId, version } = request.params;
      const plan = await deps.plans.getPlan(ws, planId);
      const found = plan?.data_plan_versions.find((v) => v.version === version);
      if (!plan || !found) throw versionNotFound(ws, planId, version);
      if (plan.data_plan_versions.length === 1) throw badRequest('Unable to delete plan version - plans must contain at least one plan version.');
      if (found.activated_environment === 'production') {
        throw badRequest('Unable to delete plan version - this version is active in prod and cannot be deleted.');
      }
      if (!(await deps.plans.deleteVersion(ws, planId, version))) throw versionNotFound(ws, planId, version);
      return reply.status(204).send();
    },
  );
}
