import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PlanDocumentTooLarge } from './plan-errors.ts';
import { errors } from '../server/error-body.schema.ts';
import { handleError } from '../server/errors.ts';
import { planVersionParam, workspaceIdParam } from '../server/path-params.ts';
import { callerOf } from '../server/tenant-scope.ts';
import { versionDocumentSchema } from './plan-document.openapi.ts';
import type { PlanService } from './plan-service.ts';
import { ACTIVATED_ENVIRONMENTS } from './plan-store.ts';

export interface PlansRoutesDeps {
  plans: PlanService;
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

const workspaceParam = { workspaceId: { ...workspaceIdParam, description: 'The workspace holding the plans' } };
const planParams = {
  type: 'object',
  required: ['workspaceId', 'planId'],
  properties: { ...workspaceParam, planId: { type: 'string', description: 'Slug ID of the data plan' } },
};
const versionParams = {
  type: 'object',
  required: ['workspaceId', 'planId', 'version'],
  properties: { ...planParams.properties, version: { ...planVersionParam, description: 'The version number' } },
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

/**
 * mParticle's Data Planning API, plan management: plans and plan versions under
 * `/platform/v2/workspaces/{workspace_id}/plans`, with Bearer tokens from `/oauth/token`.
 */
export async function plansRoutes(app: FastifyInstance, deps: PlansRoutesDeps): Promise<void> {
  // Plan documents may be up to 10 MB, so say so when one is larger (the app's message names 256 KB).
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const tooLarge = (error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    handleError(tooLarge ? new PlanDocumentTooLarge() : error, request, reply);
  });

  const { plans } = deps;
  const send = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(JSON.stringify(body));
  /** The workspace in the path and who calls, as the tenant scope checked them. */
  const caller = (request: FastifyRequest) => {
    const { actor, workspaceId } = callerOf(request);
    return { ws: workspaceId, actor };
  };
  const schema = (summaryText: string, tag: string, extra: Record<string, unknown>) => ({
    summary: summaryText,
    tags: [PLAN_TAG, tag],
    ...extra,
  });

  app.get<{ Params: { workspaceId: number } }>(
    PREFIX,
    {
      schema: schema('All data plans of a workspace, their versions without documents', 'Data Plan', {
        params: { type: 'object', required: ['workspaceId'], properties: workspaceParam },
        response: { 200: { type: 'array', items: planSchema }, ...errors(401, 403) },
      }),
    },
    async (request, reply) => {
      return send(reply, await plans.list(caller(request).ws));
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
      const { ws, actor } = caller(request);
      return send(reply, await plans.create(ws, request.body, actor));
    },
  );

  app.post<{ Params: { workspaceId: number } }>(
    `${PREFIX}/validate`,
    {
      // Validating changes nothing: a read-only plans credential may.
      config: { permission: { api: 'data_planning', area: 'data_plans', readOnly: true } },
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
      return send(reply, { results: plans.validate(request.body) });
    },
  );

  app.get<{ Params: PlanParams }>(
    `${PREFIX}/:planId`,
    { schema: schema('A data plan with all its versions', 'Data Plan', { params: planParams, response: { 200: planSchema, ...errors(401, 403, 404) } }) },
    async (request, reply) => {
      return send(reply, await plans.get(caller(request).ws, request.params.planId));
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
      const { ws, actor } = caller(request);
      return send(reply, await plans.update(ws, request.params.planId, request.body, actor));
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
      await plans.delete(caller(request).ws, request.params.planId);
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
      const { ws, actor } = caller(request);
      return send(reply, await plans.createVersion(ws, request.params.planId, request.body, actor));
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
      const { planId, version } = request.params;
      return send(reply, await plans.getVersion(caller(request).ws, planId, version));
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
      const { ws, actor } = caller(request);
      const { planId, version } = request.params;
      return send(reply, await plans.updateVersion(ws, planId, version, request.body, actor));
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
      const { planId, version } = request.params;
      await plans.deleteVersion(caller(request).ws, planId, version);
      return reply.status(204).send();
    },
  );
}
