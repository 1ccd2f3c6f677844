import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Batch } from '../../model/batch.ts';
import { parseBasic } from '../../platform/credentials.ts';
import type { InputDirectory } from '../../platform/credentials.ts';
import type { Input } from '../../platform/platform-store.ts';
import type { IngestService } from '../../pipeline/ingest.ts';
import {
  mapSegmentBatch,
  mapSegmentCall,
  SEGMENT_CALL_TYPES,
  SEGMENT_LIMITS,
  type SegmentCallType,
  type SegmentMapResult,
} from './segment-mapping.ts';
import {
  EncodingUnsupported,
  GzipInvalid,
  SegmentAuthMalformed,
  SegmentBodyTooLarge,
  SegmentMessagesInvalid,
  WriteKeyEmpty,
  WriteKeyMissing,
  WriteKeyUnknown,
} from './segment-errors.ts';
import { handleError } from '../../server/errors.ts';
import { BodyEmpty } from '../../server/http-errors.ts';
import type { Counter } from 'prom-client';
import { rejectionCode } from '../../server/metrics.ts';
import { errorBody } from '../../server/error-body.schema.ts';

export interface SegmentRoutesDeps {
  ingest: IngestService;
  inputs: InputDirectory;
  /** Requests refused, by error code (`quanta_requests_rejected_total`). */
  rejected: Pick<Counter<'code'>, 'inc'>;
}

/**
 * Batches per `IngestService.ingest` call. A Segment batch request may hold many more messages
 * (up to 500 KB of them) than an Events API bulk request may hold batches (100): a request of
 * up to 100 messages is one all-or-nothing call; a larger one is ingested 100 at a time, after
 * every message was validated. Each batch carries its `messageId` as `source_request_id`, so a
 * client that retries after a partial failure stores nothing twice.
 */
export const SEGMENT_INGEST_CHUNK = 100;


const responses = {
  200: {
    description: 'Accepted: every message is durable in the event log.',
    type: 'object',
    properties: { success: { type: 'boolean' } },
  },
  400: { description: 'Malformed JSON, a message without userId or anonymousId, a wrong type, or a message over 32 KB.', ...errorBody },
  401: { description: 'The writeKey (Basic auth user, or `writeKey` in the body) is missing or matches no input.', ...errorBody },
  413: { description: 'The request body is over the limit (500 KB for /batch).', ...errorBody },
  415: { description: 'The body is not sent as JSON.', ...errorBody },
  429: { description: "The input exceeded its batches-per-second limit; see Retry-After.", ...errorBody },
};

const context = { type: 'object', description: 'ip, userAgent, locale, device, os, app, screen, network, location, traits...', additionalProperties: true };
const common = {
  userId: { type: 'string', description: 'mParticle customer_id' },
  anonymousId: { type: 'string', description: 'mParticle identity `other`' },
  messageId: { type: 'string', description: 'source_request_id: a retried message is stored once' },
  timestamp: { type: 'string', format: 'date-time' },
  originalTimestamp: { type: 'string', format: 'date-time' },
  sentAt: { type: 'string', format: 'date-time' },
  context,
  integrations: { type: 'object', additionalProperties: true },
  writeKey: { type: 'string', description: "An input's API key, if not sent as the Basic auth user" },
};
const object = { type: 'object', additionalProperties: true };
const bodies: Record<SegmentCallType, Record<string, unknown>> = {
  identify: { type: 'object', properties: { ...common, traits: object } },
  track: { type: 'object', required: ['event'], properties: { ...common, event: { type: 'string' }, properties: object } },
  page: { type: 'object', properties: { ...common, name: { type: 'string' }, category: { type: 'string' }, properties: object } },
  screen: { type: 'object', properties: { ...common, name: { type: 'string' }, category: { type: 'string' }, properties: object } },
  group: { type: 'object', required: ['groupId'], properties: { ...common, groupId: { type: 'string' }, traits: object } },
  alias: { type: 'object', required: ['userId', 'previousId'], properties: { ...common, previousId: { type: 'string' } } },
};
const batchBody = {
  type: 'object',
  required: ['batch'],
  properties: {
    batch: {
      type: 'array',
      items: { type: 'object', required: ['type'], properties: { type: { type: 'string', enum: [...SEGMENT_CALL_TYPES] }, ...common }, additionalProperties: true },
    },
    writeKey: common.writeKey,
    sentAt: common.sentAt,
    context,
  },
};

const summaries: Record<SegmentCallType | 'batch', string> = {
  batch: 'Segment batch: many identify/track/page/screen/group/alias messages (up to 500 KB)',
  identify: 'Segment identify: user identities and attributes',
  track: 'Segment track: a custom event',
  page: 'Segment page: a screen view',
  screen: 'Segment screen: a screen view',
  group: 'Segment group: group user attributes',
  alias: 'Segment alias: a user identity change from previousId to userId',
};

/**
 * Segment's HTTP API (`/segment/v1/batch`, `/track`, `/identify`, `/page`, `/screen`, `/group`,
 * `/alias`), so teams can point their Segment libraries at Quanta unchanged. The writeKey is an
 * input's API key, sent as the Basic auth user (empty password) or as `writeKey` in the body.
 * Each message becomes an mParticle batch (`segment/segment-mapping.ts`) and goes through
 * `IngestService` like any Events API batch: validated, resolved by IDSync, durable before the
 * `200 {"success": true}` that Segment's API answers.
 */
export async function segmentRoutes(scope: FastifyInstance, deps: SegmentRoutesDeps): Promise<void> {
  const { ingest, inputs, rejected } = deps;
  /** The input named by a valid Basic header, checked before the body is read. */
  const headerInputs = new WeakMap<FastifyRequest, Input>();

  scope.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined || header === '') return;
    const creds = parseBasic(header);
    if (!creds) throw new SegmentAuthMalformed();
    headerInputs.set(request, inputForWriteKey(inputs, creds.user));
  });
  // Segment libraries may gzip the body (Content-Encoding: gzip); the body limit applies to the
  // decompressed bytes too.
  scope.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding === 'identity') return payload;
    if (encoding !== 'gzip') throw new EncodingUnsupported(encoding);
    let encoded = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        encoded += chunk.length;
        done(null, chunk);
      },
    });
    const gunzip = createGunzip();
    payload.on('error', (error) => gunzip.destroy(error));
    const out = payload.pipe(counter).pipe(gunzip);
    Object.defineProperty(out, 'receivedEncodedLength', { get: () => encoded });
    return out;
  });
  scope.addHook('onError', async (_request, _reply, error) => {
    rejected.inc({ code: rejectionCode(error) });
  });
  scope.setErrorHandler((error: FastifyError | Error, request, reply) => {
    if ((error as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      handleError(new SegmentBodyTooLarge(request.routeOptions.bodyLimit ?? SEGMENT_LIMITS.batchBytes), request, reply);
      return;
    }
    if (/^Z_/.test(String((error as { code?: unknown }).code))) {
      handleError(new GzipInvalid(error.message), request, reply);
      return;
    }
    handleError(error, request, reply);
  });

  const route = (path: SegmentCallType | 'batch', map: (body: unknown, receivedAtMs: number) => SegmentMapResult) =>
    scope.post(
      `/segment/v1/${path}`,
      {
        ...(path === 'batch' ? { bodyLimit: SEGMENT_LIMITS.batchBytes } : {}),
        schema: {
          summary: summaries[path],
          tags: ['Segment HTTP API'],
          security: [{ basic: [] }],
          body: path === 'batch' ? batchBody : bodies[path],
          response: responses,
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (body === undefined) throw new BodyEmpty(`a Segment ${path === 'batch' ? 'batch' : `${path} message`} as JSON`);
        const input = headerInputs.get(request) ?? inputForBody(inputs, body);
        const mapped = map(body, Date.now());
        if (!mapped.ok) throw new SegmentMessagesInvalid(mapped.problems);
        for (let i = 0; i < mapped.batches.length; i += SEGMENT_INGEST_CHUNK) {
          const chunk: Batch[] = mapped.batches.slice(i, i + SEGMENT_INGEST_CHUNK);
          await ingest.ingest({
            input,
            body: path === 'batch' ? chunk : chunk[0],
            bodyBytes: Number(request.headers['content-length'] ?? Infinity),
            bulk: path === 'batch',
            channel: 'server_to_server',
            ip: request.ip,
          });
        }
        return reply.code(200).send({ success: true });
      },
    );

  route('batch', (body, receivedAtMs) => mapSegmentBatch(body, { receivedAtMs }));
  for (const type of SEGMENT_CALL_TYPES) route(type, (body, receivedAtMs) => mapSegmentCall(type, body, { receivedAtMs }));
}

function inputForWriteKey(inputs: InputDirectory, writeKey: string): Input {
  if (writeKey === '') throw new WriteKeyEmpty();
  const input = inputs.byApiKey(writeKey);
  if (!input) throw new WriteKeyUnknown();
  return input;
}

/** Without an Authorization header, the writeKey is the body's `writeKey` (as Segment libraries also send it). */
function inputForBody(inputs: InputDirectory, body: unknown): Input {
  const writeKey = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { writeKey?: unknown }).writeKey : undefined;
  if (typeof writeKey !== 'string') throw new WriteKeyMissing();
  return inputForWriteKey(inputs, writeKey);
}
