import type { FastifyInstance } from 'fastify';
import type { InputDirectory } from '../../platform/credentials.ts';
import type { IngestService } from '../../pipeline/ingest.ts';
import { batchFromPixel, type PixelQuery } from './pixel-mapping.ts';

export interface PixelRoutesDeps {
  ingest: IngestService;
  inputs: InputDirectory;
}

/** A 1x1 transparent GIF, for `<img>` pixels. */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** mParticle's pixel service: one event per GET, for e-mail opens, AMP and pages without JavaScript. */
export async function pixelRoutes(app: FastifyInstance, deps: PixelRoutesDeps): Promise<void> {
  app.get<{ Params: { key: string }; Querystring: PixelQuery }>(
    '/pixel/v1/:key/Pixel',
    {
      schema: {
        summary: 'Pixel: one event from the query string (n, dt, et, ct, dbg, attrs_k/attrs_v, ua_k/ua_v, ui_t/ui_v, ...)',
        tags: ['Pixel'],
        params: { type: 'object', properties: { key: { type: 'string' } } },
        response: { 200: { description: '{} as JSON, or a 1x1 GIF when the client accepts images' } },
      },
    },
    async (request, reply) => {
      void reply.header('access-control-allow-origin', request.headers.origin ?? '*');
      const input = deps.inputs.authenticatePathKey(request.params.key);
      const userAgent = request.headers['user-agent'] ?? null;
      const body = batchFromPixel(request.query, { ip: request.ip, userAgent, nowMs: Date.now() });
      await deps.ingest.ingest({
        input,
        body,
        bodyBytes: 0,
        bulk: false,
        channel: 'pixel',
        ip: request.ip,
      });
      const accept = request.headers.accept ?? '';
      if (/image\//.test(accept) && !/application\/json/.test(accept)) {
        return reply.type('image/gif').header('cache-control', 'no-store').send(GIF);
      }
      return reply.type('application/json').send('{}');
    },
  );
}
