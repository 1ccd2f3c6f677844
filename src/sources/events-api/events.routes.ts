import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EventsContentTypeUnsupported } from './events-errors.ts';
import { batchSchema } from '../../model/batch.schema.ts';
import type { InputDirectory } from '../../platform/credentials.ts';
import type { Input } from '../../platform/platform-store.ts';
import type { IngestService } from '../../pipeline/ingest.ts';
import type { Counter } from 'prom-client';
import { rejectionCode } from '../../server/metrics.ts';
import { errorBody } from '../../server/error-body.schema.ts';
import { BodyEmpty } from '../../server/http-errors.ts';
import type { GpcRule } from '../../consent/gpc.ts';

export interface EventsRoutesDeps {
  ingest: IngestService;
  inputs: InputDirectory;
  /** Requests refused, by error code (`quanta_requests_rejected_total`). */
  rejected: Pick<Counter<'code'>, 'inc'>;
  /** The workspace's Global Privacy Control mapping, applied to the batches of a request with `Sec-GPC: 1` (not to partner feeds'). */
  gpc?: GpcRule;
}


const responses = {
  202: { description: 'Accepted: the batches are durable in the event log.', type: 'null' },
  400: { description: 'Malformed JSON, a wrong type, a missing required field or a limit exceeded.', ...errorBody },
  401: { description: 'The Authorization header is missing.', ...errorBody },
  403: { description: 'The API key and secret are present but not valid.', ...errorBody },
  413: { description: 'The request body is over 256 KB.', ...errorBody },
  415: { description: 'The body is not sent as application/json.', ...errorBody },
  429: { description: 'The input exceeded its batches-per-second limit; see Retry-After.', ...errorBody },
};

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

declare module 'fastify' {
  interface FastifyRequest {
    input?: Input;
  }
}

/** mParticle's Events API: `/v2/events`, `/v2/bulkevents` and `/v2/bulkevents/historical`, and the partner URLs `/s2s/v2/...` beside them. */
export async function eventsRoutes(scope: FastifyInstance, deps: EventsRoutesDeps): Promise<void> {
  const { ingest, inputs, rejected } = deps;

  scope.decorateRequest('input', undefined);
  scope.addHook('onRequest', async (request) => {
    request.input = inputs.authenticateBasic(request.headers.authorization);
    const type = request.headers['content-type'];
    if (!type || !JSON_TYPE.test(type)) throw new EventsContentTypeUnsupported(type);
  });
  scope.addHook('onError', async (_request, _reply, error) => {
    rejected.inc({ code: rejectionCode(error) });
  });

  const route = (url: string, bulk: boolean, historical: boolean, summary: string, channel: 'server_to_server' | 'partner' = 'server_to_server') =>
    scope.post(
      url,
      {
        schema: {
          summary,
          tags: [channel === 'partner' ? 'Events API (partner feeds)' : 'Events API'],
          security: [{ basic: [] }],
          body: bulk ? { type: 'array', maxItems: 100, items: batchSchema } : batchSchema,
          response: responses,
        },
      },
      async (request: FastifyRequest, reply) => {
        if (request.body === undefined) throw new BodyEmpty('an event batch');
        const input = request.input!;
        const result = await ingest.ingest({
          input,
          body: deps.gpc && channel !== 'partner' ? deps.gpc(input.workspaceId, request.headers, request.body) : request.body,
          bodyBytes: Number(request.headers['content-length'] ?? Infinity),
          bulk,
          historical,
          channel,
          ip: request.ip,
        });
        if (input.rateLimitPerSecond > 0) void reply.header('x-mp-rate-limit-percentage-used', String(result.rateLimitPercentUsed));
        return reply.code(202).send();
      },
    );

  route('/v2/events', false, false, 'Send one event batch');
  route('/v2/bulkevents', true, false, 'Send up to 100 event batches');
  route('/v2/bulkevents/historical', true, true, 'Send historical batches (events over 72 hours old)');
  // The partner URLs (inbound integrations): the same API, the batches' channel `partner`.
  route('/s2s/v2/events', false, false, "A partner feed sends one event batch, with the feed's key and secret", 'partner');
  route('/s2s/v2/bulkevents', true, false, "A partner feed sends up to 100 event batches, with the feed's key and secret", 'partner');
  route('/s2s/v2/bulkevents/historical', true, true, 'A partner feed sends historical batches (events over 72 hours old)', 'partner');
}
