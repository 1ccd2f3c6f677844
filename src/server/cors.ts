import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OriginForbidden } from './http-errors.ts';

/** The routes browsers call across origins: the Web SDK's, IDSync's and the pixel service's. */
export const BROWSER_PREFIXES = ['/webevents/', '/identity/', '/tags/', '/pixel/'] as const;

export interface CorsOptions {
  /** Origins allowed to call; `*` allows any. */
  allowedOrigins: readonly string[];
}

const isBrowserRoute = (url: string) => BROWSER_PREFIXES.some((p) => url.startsWith(p));

/**
 * CORS for browser-facing routes, as the Web SDK needs it: preflights allowing `content-type`
 * and `x-mp-key`, and `Access-Control-Allow-Origin` on simple requests too (events and config are
 * sent without a preflight; without the header the browser hides the 202 and the SDK re-sends).
 * A disallowed origin gets a 403 and nothing is processed.
 */
export function registerCors(app: FastifyInstance, options: CorsOptions): void {
  const anyOrigin = options.allowedOrigins.includes('*');
  const allowed = (origin: string) => anyOrigin || options.allowedOrigins.includes(origin);
  const decorate = (request: FastifyRequest, reply: FastifyReply): void => {
    const origin = request.headers.origin;
    if (!origin || !isBrowserRoute(request.url)) return;
    if (!allowed(origin)) throw new OriginForbidden(origin);
    void reply.headers({
      'access-control-allow-origin': origin,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-mp-max-age, x-quanta-error-code',
      vary: 'Origin',
    });
  };
  app.addHook('onRequest', async (request, reply) => decorate(request, reply));
  for (const prefix of BROWSER_PREFIXES) {
    app.options(
      `${prefix}*`,
      { schema: { summary: 'CORS preflight for the browser-facing routes', tags: ['CORS'], response: { 204: { type: 'null', description: 'Allowed' } } } },
      async (request, reply) => {
        void reply.headers({
          'access-control-allow-methods': 'GET, POST, OPTIONS',
          'access-control-allow-headers': request.headers['access-control-request-headers'] ?? 'content-type, x-mp-key',
          'access-control-max-age': '86400',
        });
        return reply.code(204).send();
      },
    );
  }
}
