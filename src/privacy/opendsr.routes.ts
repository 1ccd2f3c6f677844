import { stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, HTTPMethods, RouteHandlerMethod } from 'fastify';
import { problem, type QuantaError } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { RateLimiter } from '../platform/rate-limiter.ts';
import { RateLimitExceeded } from '../platform/platform-errors.ts';
import { codedErrorOf, ERROR_CODE_HEADER } from '../server/errors.ts';
import { DISCOVERED_IDENTITY_TYPES, DSR_VERSIONS, type DsrVersion, RAW, REQUEST_TYPES } from './dsr.ts';
import type { DsrAuthenticator } from './dsr-auth.ts';
import { CERTIFICATE_PATH, requestsPath } from './dsr-bodies.ts';
import { DsrRateLimited, DsrRequestIdInvalid, DsrRequestInvalid, DsrResultsGone } from './dsr-errors.ts';
import { isUuidV4, parseDsrRequest } from './dsr-parser.ts';
import type { DsrService } from './dsr-service.ts';
import type { DsrSigner } from './dsr-signing.ts';
import { cancelResponse, discoveryResponse, dsrErrors, groupResponse, requestIdParams, requestSchema, statusResponse, submitResponse } from './opendsr.openapi.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The workspace a DSR call's credentials fixed. */
    dsrWorkspace?: WorkspaceId;
  }
  interface FastifyContextConfig {
    /** The DSR API version a route speaks: its signature headers' names. */
    dsrVersion?: DsrVersion;
    /** The route needs credentials (all but discovery and the certificate). */
    dsrAuth?: boolean;
    /** The route submits a request (the daily limit of new requests). */
    dsrSubmit?: boolean;
  }
}

export interface OpenDsrRoutesDeps {
  service: DsrService;
  authenticate: DsrAuthenticator;
  signer: DsrSigner;
  publicUrl: string;
  limiter: RateLimiter;
  /** mParticle's per workspace limits (0: none): requests per minute over every call, new requests per day. */
  limits: { requestsPerMinute: number; newRequestsPerDay: number };
}

const TAG = 'Data Subject Request API';
const VERSIONS = Object.keys(DSR_VERSIONS) as DsrVersion[];
const authQuery = { workspace_id: { type: 'string', description: 'Bearer callers: the workspace the call is for (not needed when the caller reaches one)' } };
const security = [{ basic: [] }, { bearer: [] }];

/** The body's `domain` and `reason` of each error, as mParticle's DSR errors name them. */
function kindOf(error: QuantaError): { domain: string; reason: string } {
  if (['QUANTA_DSR_REQUEST_EXISTS', 'QUANTA_DSR_REQUEST_OPEN', 'QUANTA_DSR_NOT_CANCELLABLE'].includes(error.code)) return { domain: 'Validation', reason: 'InvalidOperationException' };
  if (error.status === 401) return { domain: 'Authentication', reason: 'UnauthorizedException' };
  if (error.status === 403) return { domain: 'Authorization', reason: 'ForbiddenException' };
  if (error.status === 404) return { domain: 'Request', reason: 'NotFoundException' };
  if (error.status === 410) return { domain: 'Request', reason: 'GoneException' };
  if (error.status === 429) return { domain: 'Throttling', reason: 'TooManyRequestsException' };
  if (error.status >= 500) return { domain: 'Server', reason: 'InternalServerError' };
  return { domain: 'Validation', reason: 'ValidationException' };
}

/** An error in the DSR API's body (`{"code","message","errors":[{"domain","reason","message"}]}`), its code in `x-quanta-error-code`. */
function sendDsrError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  const coded = codedErrorOf(error, request);
  const kind = kindOf(coded);
  const message = coded.code === DsrRequestInvalid.code ? 'Invalid data was detected.' : coded.problems.join(' ');
  const body = { code: coded.status, message, errors: coded.problems.map((m) => ({ ...kind, message: m })) };
  void reply.status(coded.status).headers({ ...coded.headers, [ERROR_CODE_HEADER]: coded.code }).type('application/json').send(JSON.stringify(body));
}

const sendJson = (reply: FastifyReply, body: unknown) => reply.type('application/json').send(JSON.stringify(body));
const workspaceOf = (request: FastifyRequest) => request.dsrWorkspace!;

function requestIdOf(request: FastifyRequest): string {
  const id = (request.params as { id: string }).id;
  if (!isUuidV4(id)) throw new DsrRequestIdInvalid(id);
  return id.toLowerCase();
}

/**
 * mParticle's Data Subject Request API: OpenDSR v3 (`/opendsr/v3/requests`) and v2
 * (`/opendsr/v2/requests`), OpenGDPR v1 (`/opendsr/v1/opengdpr_requests`): submit, status,
 * group listing, cancel, the results download and discovery, each with and without a trailing
 * slash. Credentials are an input's Basic key and secret or a Bearer token (`dsr-auth.ts`).
 * Every JSON answer is signed (`X-OpenDSR-Signature`, v1 `X-OpenGDPR-Signature`) and errors take
 * the DSR API's body; the certificate is served, unauthenticated, at `/opendsr/certificate.pem`.
 */
export async function openDsrRoutes(app: FastifyInstance, deps: OpenDsrRoutesDeps): Promise<void> {
  app.decorateRequest('dsrWorkspace', undefined);
  app.setErrorHandler(sendDsrError);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (!config.dsrAuth) return;
    const query = request.query as { workspace_id?: string };
    const ws = deps.authenticate({ authorization: request.headers.authorization, method: request.method, workspaceId: query.workspace_id });
    take(ws, 'minute', deps.limits.requestsPerMinute, 60);
    if (config.dsrSubmit) take(ws, 'day', deps.limits.newRequestsPerDay, 86_400);
    request.dsrWorkspace = ws;
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const version = request.routeOptions.config?.dsrVersion;
    if (version && typeof payload === 'string') void reply.headers(deps.signer.headers(version, payload));
    return payload;
  });

  function take(ws: WorkspaceId, per: 'minute' | 'day', limit: number, seconds: number): void {
    if (limit <= 0) return;
    try {
      deps.limiter.take(`dsr:${per}:${ws}`, limit / seconds, 1, 'workspace', limit);
    } catch (error) {
      if (!(error instanceof RateLimitExceeded)) throw error;
      const label = per === 'minute' ? `${limit} requests per minute per workspace` : `${limit} new requests per day per workspace`;
      throw new DsrRateLimited(Number(error.headers['retry-after'] ?? '1'), label);
    }
  }

  type Schema = { summary: string } & Record<string, unknown>;
  const route = (method: HTTPMethods, url: string, version: DsrVersion, schema: Schema, handler: RouteHandlerMethod, extra: { auth?: boolean; submit?: boolean } = {}) => {
    const config = { dsrVersion: version, dsrAuth: extra.auth ?? true, dsrSubmit: extra.submit ?? false };
    const tagged = { tags: [TAG], ...(extra.auth === false ? {} : { security }), ...schema };
    app.route({ method, url, schema: tagged as FastifySchema, config, handler });
    app.route({ method, url: `${url}/`, schema: { ...tagged, summary: `${schema.summary} (the same, with a trailing slash)` } as FastifySchema, config, handler });
  };

  for (const version of VERSIONS) {
    const requests = requestsPath(version);
    const v = `(${version}, api_version ${DSR_VERSIONS[version]})`;
    route(
      'POST',
      requests,
      version,
      { summary: `Submit a data subject request ${v}`, body: requestSchema(version), querystring: { type: 'object', properties: authQuery }, response: { 201: submitResponse, ...dsrErrors(400, 401, 403, 409, 415, 429) } },
      async (request, reply) => {
        const raw = request.rawBody;
        if (raw === undefined || raw.trim() === '') throw new DsrRequestInvalid([problem('The request body is empty; send an OpenDSR request as application/json.')]);
        return sendJson(reply.code(201), await deps.service.submit(workspaceOf(request), parseDsrRequest(version, raw)));
      },
      { submit: true },
    );
    route(
      'GET',
      requests,
      version,
      {
        summary: `The status of every request of a group ${v}`,
        querystring: { type: 'object', properties: { group_id: { type: 'string', description: 'The group_id the requests were submitted with' }, ...authQuery } },
        response: { 200: groupResponse, ...dsrErrors(400, 401, 403, 429) },
      },
      async (request, reply) => {
        const groupId = (request.query as { group_id?: string }).group_id;
        if (groupId === undefined || groupId === '') throw new DsrRequestInvalid([problem('Send group_id: GET /requests?group_id={group} lists the requests of a group.')]);
        return sendJson(reply, await deps.service.group(workspaceOf(request), groupId));
      },
    );
    const byId = { params: requestIdParams, querystring: { type: 'object', properties: authQuery } };
    route('GET', `${requests}/:id`, version, { summary: `The status of a request ${v}`, ...byId, response: { 200: statusResponse, ...dsrErrors(400, 401, 403, 404, 429) } }, async (request, reply) =>
      sendJson(reply, await deps.service.status(workspaceOf(request), requestIdOf(request))),
    );
    route(
      'DELETE',
      `${requests}/:id`,
      version,
      { summary: `Cancel a pending request ${v}`, ...byId, response: { 200: cancelResponse, ...dsrErrors(400, 401, 403, 404, 429) } },
      async (request, reply) => sendJson(reply, await deps.service.cancel(workspaceOf(request), requestIdOf(request))),
    );
    route(
      'GET',
      `${requests}/:id/results`,
      version,
      {
        summary: `Download an access or portability request's results, a zip ${v}`,
        description: 'The results_url of a completed access or portability request: 404 when no user matched the identities, 410 Gone 7 days after completion.',
        ...byId,
        response: { 200: { type: 'string', format: 'binary', description: 'application/zip' }, ...dsrErrors(400, 401, 403, 404, 410, 429) },
      },
      async (request, reply) => {
        const id = requestIdOf(request);
        const file = await deps.service.results(workspaceOf(request), id);
        const found = await stat(file.path).catch(() => undefined);
        if (!found) throw new DsrResultsGone();
        return reply.type('application/zip').header('content-disposition', `attachment; filename="${id}.zip"`).header('content-length', found.size).send(createReadStream(file.path));
      },
    );
    route(
      'GET',
      `/opendsr/${version}/discovery`,
      version,
      { summary: `The identity and request types this processor supports, and its certificate ${v}`, response: { 200: discoveryResponse(version) } },
      async (_request, reply) =>
        sendJson(reply, {
          api_version: DSR_VERSIONS[version],
          supported_identities: DISCOVERED_IDENTITY_TYPES.map((identity_type) => ({ identity_type, identity_format: RAW })),
          supported_subject_request_types: [...REQUEST_TYPES].sort(),
          processor_certificate: `${deps.publicUrl}${CERTIFICATE_PATH}`,
        }),
      { auth: false },
    );
  }
  app.get(
    CERTIFICATE_PATH,
    { schema: { summary: "The certificate of Quanta's DSR signatures (PEM), issued to the processor domain", tags: [TAG], response: { 200: { type: 'string' } } } },
    async (_request, reply) => reply.type('application/x-pem-file').send(deps.signer.certificate),
  );
}
