import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { InputDirectory } from '../../platform/credentials.ts';
import type { Input } from '../../platform/platform-store.ts';
import type { IngestService } from '../../pipeline/ingest.ts';
import { BodyEmpty } from '../../server/http-errors.ts';
import { batchFromV2Dto } from './v2-dto.ts';
import type { GpcRule } from '../../consent/gpc.ts';
import type { PlanRegistry } from '../../planning/plan-registry.ts';
import { sdkDataPlanResult } from '../../planning/sdk-plan.ts';

export interface WebRoutesDeps {
  ingest: IngestService;
  inputs: InputDirectory;
  /** For the data plan the SDK asks for in its config request. */
  planRegistry: PlanRegistry;
  /** Kit forwarding reports received (`quanta_web_forwarding_reports_total`). */
  forwardingReports: Pick<Counter, 'inc'>;
  /** The workspace's Global Privacy Control mapping, applied to the batches of a request with `Sec-GPC: 1`. */
  gpc?: GpcRule;
}

/**
 * The Web SDK's own routes under its CNAME layout: the config it fetches at start, the v3 batch
 * upload (JSON sent as text/plain, also by `navigator.sendBeacon`), and the kits' forwarding
 * statistics. The key in the path is the input's API key.
 */
export async function webRoutes(app: FastifyInstance, deps: WebRoutesDeps): Promise<void> {
  const inputOf = (key: string): Input => deps.inputs.authenticatePathKey(key);
  const withGpc = (input: Input, request: FastifyRequest, body: unknown) => (deps.gpc ? deps.gpc(input.workspaceId, request.headers, body) : body);

  app.get<{ Params: { key: string }; Querystring: { env?: string; plan_id?: string; plan_version?: string } }>(
    '/tags/JS/v2/:key/config',
    {
      schema: {
        summary: 'Web SDK configuration for an input',
        tags: ['Web SDK'],
        params: { type: 'object', properties: { key: { type: 'string' } } },
        querystring: { type: 'object', properties: { env: { type: 'string' }, plan_id: { type: 'string' }, plan_version: { type: 'string' } } },
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async (request) => {
      const input = inputOf(request.params.key);
      const { plan_id: planId, plan_version: planVersion, env } = request.query;
      const version = planVersion === undefined || planVersion === '' ? undefined : Number(planVersion);
      // The SDK merges this into its settings: never send `domain`, `*Url` or `requestConfig`
      // keys, which would point it away from Quanta.
      return {
        appName: input.name,
        workspaceToken: `quanta-workspace-${input.workspaceId}`,
        minWebviewBridgeVersion: 2,
        kitConfigs: [],
        pixelConfigs: [],
        flags: { eventBatchingIntervalMillis: '0' },
        // `env=1` is the SDK in development mode.
        ...(planId
          ? {
              dataPlanResult:
                version !== undefined && !Number.isInteger(version)
                  ? { error_message: `plan_version "${planVersion}" is not a version number.` }
                  : await sdkDataPlanResult(
                      deps.planRegistry,
                      input.workspaceId,
                      planId,
                      version,
                      env === '1' ? 'development' : 'production',
                    ),
            }
          : {}),
      };
    },
  );

  app.post<{ Params: { key: string } }>(
    '/webevents/v3/JS/:key/events',
    {
      schema: {
        summary: 'Web SDK batch upload (JSON, usually sent as text/plain)',
        tags: ['Web SDK'],
        params: { type: 'object', properties: { key: { type: 'string' } } },
        response: { 202: { type: 'null', description: 'Accepted: durable in the event log' } },
      },
    },
    async (request, reply) => {
      const input = inputOf(request.params.key);
      if (request.body === undefined) throw new BodyEmpty('an event batch');
      await deps.ingest.ingest({
        input,
        body: withGpc(input, request, request.body),
        bodyBytes: Number(request.headers['content-length'] ?? Infinity),
        bulk: false,
        channel: 'javascript',
        ip: request.ip,
      });
      return reply.code(202).send();
    },
  );

  app.post<{ Params: { key: string } }>(
    '/webevents/v2/JS/:key/Events',
    {
      schema: {
        summary: 'Legacy Web SDK upload: one or more V2 messages (n, dt, et, ct, attrs, ua, ui, das, mpid, ...)',
        tags: ['Web SDK'],
        params: { type: 'object', properties: { key: { type: 'string' } } },
        response: { 202: { type: 'null', description: 'Accepted: durable in the event log' } },
      },
    },
    async (request, reply) => {
      const input = inputOf(request.params.key);
      if (request.body === undefined) throw new BodyEmpty('a V2 message');
      const messages = Array.isArray(request.body) ? request.body : [request.body];
      await deps.ingest.ingest({
        input,
        body: withGpc(input, request, messages.map(batchFromV2Dto)),
        bodyBytes: Number(request.headers['content-length'] ?? Infinity),
        bulk: true,
        channel: 'javascript',
        ip: request.ip,
      });
      return reply.code(202).send();
    },
  );

  for (const version of ['v1', 'v2'] as const) {
    app.post<{ Params: { key: string } }>(
      `/webevents/${version}/JS/:key/Forwarding`,
      {
        schema: {
          summary: `Web SDK kit forwarding statistics (${version}); counted in quanta_web_forwarding_reports_total`,
          tags: ['Web SDK'],
          params: { type: 'object', properties: { key: { type: 'string' } } },
          response: { 202: { type: 'null', description: 'Accepted' } },
        },
      },
      async (request, reply) => {
        inputOf(request.params.key);
        const body = request.body as { data?: unknown } | unknown[] | undefined;
        const reports = Array.isArray(body) ? body.length : Array.isArray((body as { data?: unknown })?.data) ? ((body as { data: unknown[] }).data.length) : 1;
        deps.forwardingReports.inc(reports);
        return reply.code(202).send();
      },
    );
  }
}
