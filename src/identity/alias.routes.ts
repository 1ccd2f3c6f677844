import type { FastifyInstance } from 'fastify';
import type { AliasRegistry } from './aliasing.ts';
import { AliasBodyInvalid, AliasKeyMismatch } from './identity-errors.ts';
import type { InputDirectory } from '../platform/credentials.ts';

export interface AliasRoutesDeps {
  aliases: AliasRegistry;
  inputs: InputDirectory;
  /** How long an accepted alias request waits before it is applied (mParticle: 24 hours). */
  aliasDelayMs: number;
}

interface AliasBody {
  request_id?: string | null;
  source_mpid?: unknown;
  destination_mpid?: unknown;
  start_unixtime_ms?: unknown;
  end_unixtime_ms?: unknown;
}

const aliasFields = {
  source_mpid: { type: 'string', description: 'The anonymous profile whose data is copied (number or string)' },
  destination_mpid: { type: 'string', description: 'The known profile that receives it' },
  start_unixtime_ms: { type: 'integer' },
  end_unixtime_ms: { type: 'integer' },
  scope: { type: 'string', enum: ['mpid'] },
};
const accepted = { 202: { description: 'Accepted; applied after the alias delay', type: 'null' } };

function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AliasBodyInvalid();
  }
  return body as Record<string, unknown>;
}

/** Alias requests: the server-to-server form and the Web SDK's key-in-path form. */
export async function aliasRoutes(app: FastifyInstance, deps: AliasRoutesDeps): Promise<void> {
  const accept = (ws: Parameters<AliasRegistry['accept']>[0], b: AliasBody) =>
    deps.aliases.accept(
      ws,
      {
        requestId: typeof b.request_id === 'string' ? b.request_id : null,
        sourceMpid: b.source_mpid,
        destinationMpid: b.destination_mpid,
        startMs: b.start_unixtime_ms,
        endMs: b.end_unixtime_ms,
      },
      deps.aliasDelayMs,
    );

  app.post(
    '/v1/identity/alias',
    {
      schema: {
        summary: 'Alias: copy an anonymous profile\'s data to a known profile',
        tags: ['Identity API'],
        security: [{ basic: [] }],
        body: { type: 'object', required: ['source_mpid', 'destination_mpid'], properties: { environment: { type: 'string' }, request_id: { type: 'string' }, ...aliasFields } },
        response: accepted,
      },
    },
    async (request, reply) => {
      const input = deps.inputs.authenticateIdentity({
        method: request.method,
        path: request.url.split('?')[0]!,
        headers: request.headers,
        body: request.rawBody ?? '',
      });
      await accept(input.workspaceId, objectBody(request.body) as AliasBody);
      return reply.code(202).send();
    },
  );

  app.post<{ Params: { key: string } }>(
    '/webevents/v1/identity/:key/Alias',
    {
      schema: {
        summary: 'Alias, as the Web SDK sends it (key in the path and the body)',
        tags: ['Web SDK'],
        params: { type: 'object', properties: { key: { type: 'string' } } },
        body: {
          type: 'object',
          properties: {
            request_id: { type: 'string' },
            request_type: { type: 'string', enum: ['alias'] },
            environment: { type: 'string' },
            api_key: { type: 'string' },
            data: { type: 'object', properties: { ...aliasFields, device_application_stamp: { type: 'string' } } },
          },
        },
        response: accepted,
      },
    },
    async (request, reply) => {
      const input = deps.inputs.authenticatePathKey(request.params.key);
      const b = objectBody(request.body);
      if (b.api_key !== undefined && b.api_key !== request.params.key) {
        throw new AliasKeyMismatch();
      }
      const data = objectBody(b.data ?? null) as AliasBody;
      await accept(input.workspaceId, { ...data, request_id: typeof b.request_id === 'string' ? b.request_id : null });
      return reply.code(202).send();
    },
  );
}
