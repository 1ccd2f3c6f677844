import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdentityApi } from './identity-api.ts';
import type { InputDirectory } from '../platform/credentials.ts';
import type { Input } from '../platform/platform-store.ts';
import { errorBody } from '../server/error-body.schema.ts';
import { BodyEmpty } from '../server/http-errors.ts';

export interface IdentityRoutesDeps {
  identity: IdentityApi;
  inputs: InputDirectory;
}

const identities = { type: 'object', additionalProperties: { type: 'string' }, description: 'customerid, email, ios_idfa, android_aaid, device_application_stamp, ...' };
const identifyBody = {
  type: 'object',
  required: ['environment', 'known_identities'],
  properties: {
    client_sdk: { type: 'object', properties: { platform: { type: 'string' }, sdk_vendor: { type: 'string' }, sdk_version: { type: 'string' } } },
    context: { type: 'string' },
    environment: { type: 'string', enum: ['production', 'development'] },
    request_id: { type: 'string' },
    request_timestamp_ms: { type: 'integer' },
    previous_mpid: { type: 'string' },
    known_identities: identities,
  },
};
const identityResponse = {
  type: 'object',
  properties: {
    context: { type: 'string', nullable: true },
    mpid: { type: 'string' },
    matched_identities: identities,
    is_ephemeral: { type: 'boolean' },
    is_logged_in: { type: 'boolean' },
  },
};
const security: Record<string, string[]>[] = [{ basic: [] }, { mpKey: [] }];

/** mParticle's Identity HTTP API (IDSync) under `/identity/v1`. */
export async function identityRoutes(app: FastifyInstance, deps: IdentityRoutesDeps): Promise<void> {
  const authenticate = (request: FastifyRequest): Input =>
    deps.inputs.authenticateIdentity({
      method: request.method,
      path: request.url.split('?')[0]!,
      headers: request.headers,
      body: request.rawBody ?? '',
    });
  const body = (request: FastifyRequest): unknown => {
    if (request.body === undefined) throw new BodyEmpty('a JSON identity request');
    return request.body;
  };

  for (const operation of ['identify', 'login', 'logout'] as const) {
    app.post<{ Querystring: { read_only?: boolean } }>(
      `/identity/v1/${operation}`,
      {
        schema: {
          summary: `IDSync ${operation}`,
          tags: ['Identity API'],
          security,
          querystring: {
            type: 'object',
            properties: {
              read_only: { type: 'boolean', description: 'Perform this action as a read-only operation for debugging purposes: answer, change nothing.' },
            },
          },
          body: identifyBody,
          response: { 200: identityResponse, 400: errorBody, 401: errorBody },
        },
      },
      async (request) => {
        const input = authenticate(request);
        return deps.identity.resolve(input.workspaceId, operation, body(request), { readOnly: request.query.read_only === true });
      },
    );
  }

  app.post(
    '/identity/v1/search',
    {
      schema: {
        summary: 'IDSync search: find a user without creating one',
        tags: ['Identity API'],
        security,
        body: identifyBody,
        response: { 200: identityResponse, 400: errorBody, 401: errorBody, 404: errorBody },
      },
    },
    async (request) => deps.identity.search(authenticate(request).workspaceId, body(request)),
  );

  app.post<{ Params: { mpid: string } }>(
    '/identity/v1/:mpid/modify',
    {
      schema: {
        summary: 'IDSync modify: add, change or remove identities of a user',
        tags: ['Identity API'],
        security,
        params: { type: 'object', properties: { mpid: { type: 'string' } } },
        body: {
          type: 'object',
          required: ['environment', 'identity_changes'],
          properties: {
            environment: { type: 'string', enum: ['production', 'development'] },
            identity_changes: {
              type: 'array',
              items: {
                type: 'object',
                properties: { old_value: { type: 'string', nullable: true }, new_value: { type: 'string', nullable: true }, identity_type: { type: 'string' } },
              },
            },
          },
        },
        response: { 200: { type: 'object' }, 400: errorBody, 401: errorBody, 404: errorBody },
      },
    },
    async (request) => deps.identity.modify(authenticate(request).workspaceId, request.params.mpid, body(request)),
  );
}
