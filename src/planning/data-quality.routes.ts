import { Ajv } from 'ajv';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { problem } from '../kernel/errors.ts';
import { BackfillRequestInvalid, BackfillTimeInvalid, PlanNotFound } from './plan-errors.ts';
import { workspaceIdParam } from '../server/path-params.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import type { Backfill } from './backfill.ts';
import type { PlanRegistry } from './plan-registry.ts';
import type { DataQualityStore } from './quality-store.ts';
import type { QuarantineReader } from './quarantine-reader.ts';
import { errors } from '../server/error-body.schema.ts';
import { callerOf } from '../server/tenant-scope.ts';

export interface DataQualityRoutesDeps {
  quality: DataQualityStore;
  quarantine: QuarantineReader;
  planRegistry: PlanRegistry;
  backfill: Backfill;
}

interface PlanParams {
  workspaceId: number;
  planId: string;
}

const PREFIX = '/platform/v2/workspaces/:workspaceId/plans/:planId';
const TAGS = ['Data Planning API', 'Data Quality'];
const planParams = {
  type: 'object',
  required: ['workspaceId', 'planId'],
  properties: { workspaceId: workspaceIdParam, planId: { type: 'string', description: 'Slug ID of the data plan' } },
};
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An ISO date from the body, else a 400 naming the field. */
function timeOf(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new BackfillTimeInvalid(field, value);
  return ms;
}

const violationSchema = {
  type: 'object',
  properties: {
    version: { type: 'integer' },
    subject: { type: 'string', description: 'The data point: an event match key (e.g. custom_event:navigation:Search), user_attributes, user_identities or unplannable' },
    validation_error_type: { type: 'string', enum: ['unplanned', 'missing_required', 'invalid_value', 'unknown'] },
    key: { type: 'string', description: 'The attribute, identity or event the violation names' },
    count: { type: 'integer' },
    first_seen: { type: 'string', format: 'date-time' },
    last_seen: { type: 'string', format: 'date-time' },
  },
};
const blockedSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    version: { type: 'integer', description: 'The plan version that blocked it' },
    mpid: { type: 'string' },
    input_id: { type: 'integer' },
    received_at: { type: 'string', format: 'date-time' },
    whole_batch: { type: 'boolean' },
    backfilled_at: { type: ['string', 'null'], format: 'date-time' },
    batch: { type: 'object', additionalProperties: true, description: 'The batch as received, with context.data_plan.block_metadata (mParticle quarantine format)' },
  },
};
const backfillBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    target_version: { type: 'integer', minimum: 1, description: 'The version the data is validated against again (default: the latest)' },
    blocked_version: { type: 'integer', minimum: 1, description: 'Only data blocked under this version' },
    from: { type: 'string', format: 'date-time', description: 'Only data received at or after' },
    to: { type: 'string', format: 'date-time', description: 'Only data received at or before' },
    include_event_attributes: { type: 'boolean', description: 'Also re-send, whole, the events whose attributes were blocked (duplicates them downstream)' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'Blocked batches handled by this call' },
    after: { type: 'integer', minimum: 0, description: 'Start after this blocked batch id (`last_id` of the previous call); how a dry run pages' },
    dry_run: { type: 'boolean', description: 'Count what would happen; send nothing' },
  },
};

/** Route bodies are checked here (the app's body validator is off): every problem named. */
const checkBackfillBody = (() => {
  const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(backfillBody);
  return (body: unknown): void => {
    if (body === undefined || body === null || validate(body)) return;
    throw new BackfillRequestInvalid(
      (validate.errors ?? []).map((e) =>
        problem(`body${e.instancePath.replaceAll('/', '.')}${e.keyword === 'additionalProperties' ? `.${String(e.params.additionalProperty)}` : ''} ${e.message ?? 'is invalid'}.`),
      ),
    );
  };
})();

/**
 * Data quality under a plan: its violation report, its quarantine (blocked data) and the
 * backfill of blocked data, with the Data Planning API's Bearer tokens.
 */
export async function dataQualityRoutes(app: FastifyInstance, deps: DataQualityRoutesDeps): Promise<void> {
  const send = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(stringifyLossless(body));
  const knownPlan = async (ws: WorkspaceId, planId: string) => {
    if (!(await deps.planRegistry.exists(ws, planId, undefined))) throw new PlanNotFound(ws, planId);
  };

  app.get<{ Params: PlanParams; Querystring: { version?: number } }>(
    `${PREFIX}/violations`,
    {
      schema: {
        summary: "A plan's violation report: per version, data point and violation type, how many and when last seen",
        tags: TAGS,
        params: planParams,
        querystring: { type: 'object', properties: { version: { type: 'integer', minimum: 1 } } },
        response: {
          200: { type: 'object', properties: { data_plan_id: { type: 'string' }, violations: { type: 'array', items: violationSchema } } },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const ws = callerOf(request).workspaceId;
      const { planId } = request.params;
      await knownPlan(ws, planId);
      const counts = await deps.quality.violations(ws, planId, request.query.version);
      return send(reply, {
        data_plan_id: planId,
        violations: counts.map((c) => ({
          version: c.version,
          subject: c.subject,
          validation_error_type: c.violationType,
          key: c.key,
          count: c.count,
          first_seen: iso(c.firstSeenMs),
          last_seen: iso(c.lastSeenMs),
        })),
      });
    },
  );

  app.get<{ Params: PlanParams; Querystring: { version?: number; pending?: boolean; after?: number; limit?: number } }>(
    `${PREFIX}/blocked`,
    {
      schema: {
        summary: "A plan's blocked data (the quarantine), oldest first, paged with `after`",
        tags: TAGS,
        params: planParams,
        querystring: {
          type: 'object',
          properties: {
            version: { type: 'integer', minimum: 1 },
            pending: { type: 'boolean', description: 'Only data not yet backfilled' },
            after: { type: 'integer', minimum: 0, default: 0, description: 'The last id of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { blocked: { type: 'array', items: blockedSchema }, total: { type: 'integer' }, next_after: { type: ['integer', 'null'] } },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const ws = callerOf(request).workspaceId;
      const { planId } = request.params;
      await knownPlan(ws, planId);
      const { version, pending, after = 0, limit = 100 } = request.query;
      const query = { planId, ...(version !== undefined ? { version } : {}), ...(pending ? { pending } : {}) };
      const rows = await deps.quarantine.list(ws, { ...query, afterId: after }, limit);
      return send(reply, {
        blocked: rows.map((b) => ({
          id: b.id,
          version: b.version,
          mpid: b.mpid,
          input_id: b.inputId,
          received_at: iso(b.receivedAtMs),
          whole_batch: b.wholeBatch,
          backfilled_at: iso(b.backfilledAtMs),
          batch: b.batch,
        })),
        total: await deps.quality.countBlocked(ws, query),
        next_after: rows.length === limit ? rows.at(-1)!.id : null,
      });
    },
  );

  app.post<{
    Params: PlanParams;
    Body: {
      target_version?: number;
      blocked_version?: number;
      from?: string;
      to?: string;
      include_event_attributes?: boolean;
      limit?: number;
      after?: number;
      dry_run?: boolean;
    } | null;
  }>(
    `${PREFIX}/backfill`,
    {
      schema: {
        summary: 'Backfill blocked data: re-send it through the pipeline under a (new) plan version; call again while `remaining` > 0',
        tags: TAGS,
        params: planParams,
        body: backfillBody,
        response: {
          200: {
            type: 'object',
            properties: {
              target_version: { type: 'integer' },
              examined: { type: 'integer' },
              sent: { type: 'integer' },
              blocked_again: { type: 'integer' },
              nothing_to_send: { type: 'integer' },
              remaining: { type: 'integer' },
              last_id: { type: ['integer', 'null'] },
            },
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const ws = callerOf(request).workspaceId;
      checkBackfillBody(request.body);
      const body = request.body ?? {};
      const fromMs = timeOf('from', body.from);
      const toMs = timeOf('to', body.to);
      const result = await deps.backfill.run(ws, {
        planId: request.params.planId,
        limit: body.limit ?? 100,
        ...(body.target_version !== undefined ? { targetVersion: body.target_version } : {}),
        ...(body.blocked_version !== undefined ? { blockedVersion: body.blocked_version } : {}),
        ...(fromMs !== undefined ? { fromMs } : {}),
        ...(toMs !== undefined ? { toMs } : {}),
        ...(body.include_event_attributes ? { includeEventAttributes: true } : {}),
        ...(body.after !== undefined ? { after: body.after } : {}),
        ...(body.dry_run ? { dryRun: true } : {}),
      });
      return send(reply, result);
    },
  );
}
