import type { ErrorObject } from 'ajv';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ATTRIBUTE_TYPES, CATALOG_CATEGORIES, CATALOG_POINT_TYPES } from './catalog.ts';
import type { CatalogStore } from './catalog-store.ts';
import { type CatalogQuery, catalogView, filterPoints, parseCatalogFilter } from './catalog-view.ts';
import { draftPlan } from './plan-draft.ts';
import { CatalogQueryInvalid } from './catalog-errors.ts';
import { problem } from '../kernel/errors.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import { ENVIRONMENTS } from '../model/event-types.ts';
import type { CompiledVersion } from '../planning/plan-registry.ts';
import { errors } from '../server/error-body.schema.ts';
import { callerOf } from '../server/tenant-scope.ts';
import { versionDocumentSchema } from '../planning/plan-document.openapi.ts';

export interface CatalogRoutesDeps {
  catalog: CatalogStore;
  /** Each plan's latest active version in a workspace (`PlanRegistry.active`): what coverage is judged by. */
  activePlans: (ws: WorkspaceId) => Promise<readonly CompiledVersion[]>;
}

const PREFIX = '/platform/v2/workspaces/:workspaceId/catalog';
const TAG = 'Catalog';

const params = {
  type: 'object',
  required: ['workspaceId'],
  properties: { workspaceId: { ...workspaceIdParam, description: 'The workspace whose data points to list' } },
};
const QUERY_FIELDS = ['category', 'search', 'environment', 'seen_after', 'seen_before'] as const;
const querystring = {
  type: 'object',
  additionalProperties: false,
  properties: {
    category: { type: 'string', enum: [...CATALOG_CATEGORIES], description: 'Only data points of this list-view group' },
    search: { type: 'string', description: 'Only data points whose name contains this, in any case' },
    environment: { type: 'string', enum: [...ENVIRONMENTS], description: 'Only data points seen in this environment' },
    seen_after: { type: 'string', description: 'ISO 8601 date or date-time (UTC when no offset): only data points last seen at or after it' },
    seen_before: { type: 'string', description: 'ISO 8601 date or date-time (UTC when no offset): only data points last seen before it' },
  },
};
const isoTime = { type: 'string', format: 'date-time' };
const coveredBy = {
  type: 'array',
  description: 'The active data plan versions (each plan its latest active version) that plan it',
  items: {
    type: 'object',
    required: ['data_plan_id', 'version'],
    properties: { data_plan_id: { type: 'string' }, version: { type: 'integer' } },
  },
};
const attribute = {
  type: 'object',
  required: ['name', 'count', 'first_seen', 'last_seen', 'types', 'examples', 'covered_by'],
  properties: {
    name: { type: 'string', description: 'Event attribute or user attribute name, or identity type' },
    count: { type: 'integer', description: 'Events (for user attributes and identities: batches) that carried it, null values included' },
    first_seen: isoTime,
    last_seen: isoTime,
    types: { type: 'array', items: { type: 'string', enum: [...ATTRIBUTE_TYPES] }, description: 'Types detected; none when only nulls were seen' },
    examples: {
      type: 'array',
      maxItems: 3,
      description: 'Up to 3 distinct values, strings cut to 100 characters; none for identities',
      items: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }] },
    },
    covered_by: coveredBy,
  },
};
const dataPoint = {
  type: 'object',
  required: ['match', 'category', 'name', 'plannable', 'count', 'first_seen', 'last_seen', 'environments', 'covered_by', 'attributes'],
  properties: {
    match: {
      type: 'object',
      required: ['type'],
      description: "A data plan match, or for events no plan can describe, just their event type",
      properties: { type: { type: 'string', enum: [...CATALOG_POINT_TYPES] }, criteria: { type: 'object', additionalProperties: true } },
    },
    category: { type: 'string', enum: [...CATALOG_CATEGORIES] },
    name: { type: 'string', description: 'The event or screen name, else the match key (product_action:purchase, session_start)' },
    plannable: { type: 'boolean', description: 'Whether a data plan can describe it' },
    description: { type: 'string', nullable: true, description: "What the point is, as its source documents it (a partner feed's contract)" },
    count: { type: 'integer', description: 'Events seen (for user attributes and identities: batches carrying any)' },
    first_seen: isoTime,
    last_seen: isoTime,
    environments: { type: 'array', items: { type: 'string', enum: [...ENVIRONMENTS] } },
    covered_by: coveredBy,
    attributes: { type: 'array', items: attribute },
  },
};

/** A query parameter problem in words that say what to send instead. */
function queryProblem(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, '');
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'enum') return `${field} must be one of: ${(params.allowedValues as unknown[]).join(', ')}.`;
  if (e.keyword === 'additionalProperties') {
    return `Unknown query parameter ${String(params.additionalProperty)}; use ${QUERY_FIELDS.join(', ')}.`;
  }
  return `${field || 'The query'} ${e.message ?? 'is invalid'}.`;
}

/**
 * Quanta's Catalog API: every event, attribute and identity a workspace has sent, with counts,
 * first and last seen, detected types, examples and the active plans covering each, under
 * `/platform/v2/workspaces/{workspace_id}/catalog`, with Bearer tokens from `/oauth/token`.
 */
export async function catalogRoutes(app: FastifyInstance, deps: CatalogRoutesDeps): Promise<void> {
  const send = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(JSON.stringify(body));
  const schemaErrorFormatter = (problems: ErrorObject[]) => new CatalogQueryInvalid(problems.map((e) => problem(queryProblem(e))));
  type Request = { Params: { workspaceId: number }; Querystring: CatalogQuery };

  app.get<Request>(
    PREFIX,
    {
      schemaErrorFormatter,
      schema: {
        summary: 'Every data point the workspace has sent, its attributes, and the active plans covering them',
        tags: [TAG],
        params,
        querystring,
        response: { 200: { type: 'object', required: ['data_points'], properties: { data_points: { type: 'array', items: dataPoint } } }, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const ws = callerOf(request).workspaceId;
      const filter = parseCatalogFilter(request.query);
      const [points, plans] = await Promise.all([deps.catalog.points(ws), deps.activePlans(ws)]);
      return send(reply, { data_points: catalogView(filterPoints(points, filter), plans) });
    },
  );

  app.get<Request>(
    `${PREFIX}/plan-draft`,
    {
      schemaErrorFormatter,
      schema: {
        summary: 'A data plan version document planning the data points seen (the same filters), for the Data Planning API',
        tags: [TAG, 'Data Planning API'],
        params,
        querystring,
        response: { 200: versionDocumentSchema, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const ws = callerOf(request).workspaceId;
      const filter = parseCatalogFilter(request.query);
      return send(reply, draftPlan(filterPoints(await deps.catalog.points(ws), filter)));
    },
  );
}
