import fastifySwagger from '@fastify/swagger';
import { APIS, LEVELS } from '../model/permissions.ts';
import { Ajv } from 'ajv';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import type { Logger } from 'pino';
import { parseJsonLossless } from '../kernel/lossless-json.ts';
import { registerCors } from './cors.ts';
import { handleError } from './errors.ts';
import { MalformedJson, RouteNotFound } from './http-errors.ts';
import { pathParamsValidator } from './path-params.ts';
import type { Metrics } from './metrics.ts';
import { opsRoutes, type OpsRoutesDeps } from './ops-routes.ts';
import type { RoutePlugin } from './route-plugin.ts';
import { type TenantAuth, type TenantRouteRegistration, tenantScope } from './tenant-scope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body as received, for signatures computed over it (Identity API HMAC). */
    rawBody?: string;
  }
}

/** A route plugin and the options (services) it is given. */
export interface RouteRegistration {
  plugin: RoutePlugin<unknown>;
  options: unknown;
}

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  requestBytes: number;
  /** Origins browsers may call from (`*`: any). */
  allowedOrigins: readonly string[];
  /** What the capabilities registered: routes at the root, and routes naming a tenant in the path. */
  routes: readonly RouteRegistration[];
  tenantRoutes: readonly TenantRouteRegistration[];
  /** The one check of a tenant route's caller (the platform capability's). */
  tenantAuth: TenantAuth;
  /** Batches in the log not yet processed, for `/healthz`. */
  logLag: OpsRoutesDeps['logLag'];
}

/**
 * The one HTTP app every listener serves. Bodies are read as text and parsed losslessly (MPIDs
 * are 64-bit); each route plugin validates its own body with the domain's parser, so Fastify's
 * body validator is off and route schemas serve the OpenAPI document.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.requestBytes,
    ajv: { customOptions: { strict: false } },
    // A URL Fastify cannot route (bad percent-encoding, an over-long param) answers like any error.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
  });
  const partsAjv = new Ajv({ coerceTypes: true, useDefaults: true, strict: false });
  app.setValidatorCompiler(({ httpPart, schema }) =>
    httpPart === 'body' ? () => true : httpPart === 'params' ? pathParamsValidator(partsAjv, schema) : partsAjv.compile(schema),
  );
  app.removeAllContentTypeParsers();
  const parseJson = (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
    const text = body.toString();
    req.rawBody = text;
    try {
      done(null, text === '' ? undefined : parseJsonLossless(text));
    } catch (error) {
      done(new MalformedJson((error as Error).message), undefined);
    }
  };
  for (const type of ['application/json', 'text/plain', /^application\/[\w.-]+\+json/]) {
    app.addContentTypeParser(type, { parseAs: 'string' }, parseJson);
  }
  app.decorateRequest('rawBody', undefined);
  app.setErrorHandler(handleError);
  registerCors(app, { allowedOrigins: deps.allowedOrigins });
  // On shutdown, answer in-flight requests with `Connection: close` so keep-alive clients let go
  // and close() finishes in moments rather than after the clients' keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) void reply.header('connection', 'close');
    return payload;
  });
  app.setNotFoundHandler((request, reply) => handleError(new RouteNotFound(request.method, request.url.split('?')[0]!), request, reply));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    deps.metrics.httpRequests.inc({ method: request.method, route, status: reply.statusCode });
    deps.metrics.httpDuration.observe({ route }, reply.elapsedTime / 1000);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Quanta',
        version: '0.1.0',
        description: "Quanta's HTTP API: mParticle's Events and Identity APIs, and Quanta's own operations routes.",
      },
      components: {
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic', description: "An input's API key and secret." },
          bearer: { type: 'http', scheme: 'bearer', description: 'A token from POST /oauth/token.' },
          oauth: {
            type: 'oauth2',
            description: "A Bearer token from POST /oauth/token. Each route lists the API and level an API client's credentials need (its scope here) and the task a user's role needs (its description).",
            flows: {
              clientCredentials: { tokenUrl: '/oauth/token', scopes: Object.fromEntries(APIS.flatMap((api) => LEVELS.map((level) => [`${api}:${level}`, `The ${api} API, ${level}`]))) },
              password: { tokenUrl: '/oauth/token', scopes: {} },
            },
          },
          mpKey: {
            type: 'apiKey',
            in: 'header',
            name: 'x-mp-key',
            description: 'The input key; with Date and x-mp-signature (HMAC SHA-256) unless the input allows key-only auth.',
          },
        },
      },
    },
  });
  await app.register(opsRoutes, { metrics: deps.metrics, logLag: deps.logLag });
  for (const { plugin, options } of deps.routes) await app.register(plugin, options as never);
  await app.register(tenantScope(deps.tenantAuth, deps.tenantRoutes));
  return app;
}
