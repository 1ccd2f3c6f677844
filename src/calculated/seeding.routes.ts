import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InputDirectory } from '../platform/credentials.ts';
import type { Input } from '../platform/platform-store.ts';
import { errorBody } from '../server/error-body.schema.ts';
import { BodyEmpty } from '../server/http-errors.ts';
import { SeedContentTypeUnsupported } from './seeding-errors.ts';
import type { SeedingService } from './seeding-service.ts';
import { bulkSeedExample, seedUserSchema, singleSeedExample } from './seeding.openapi.ts';

export interface SeedingRoutesDeps {
  seeding: SeedingService;
  inputs: InputDirectory;
}

const responses = {
  202: { description: 'Accepted: every seed is stored and the user attributes are durable in the event log.', type: 'null' },
  400: { description: 'Malformed JSON, a missing or invalid field, an unknown user or calculated attribute ("CA name: error message"); nothing was stored.', ...errorBody },
  401: { description: 'The Authorization header is missing.', ...errorBody },
  403: { description: 'The API key and secret are present but not valid.', ...errorBody },
  413: { description: 'The request body is over 256 KB.', ...errorBody },
  415: { description: 'The body is not sent as application/json.', ...errorBody },
  429: { description: "The input exceeded its Events API rate (the seeding API counts against it); see Retry-After.", ...errorBody },
};

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/** mParticle's Calculated Attributes Seeding API: `/v2/calculatedattributes` and `/v2/bulkcalculatedattributes`. */
export async function seedingRoutes(scope: FastifyInstance, deps: SeedingRoutesDeps): Promise<void> {
  const { seeding, inputs } = deps;
  const authenticated = new WeakMap<FastifyRequest, Input>();

  // Before the body is read, as the Events API: 401/403, then 415.
  scope.addHook('onRequest', async (request) => {
    authenticated.set(request, inputs.authenticateBasic(request.headers.authorization));
    const type = request.headers['content-type'];
    if (!type || !JSON_TYPE.test(type)) throw new SeedContentTypeUnsupported(type);
  });

  const route = (url: string, bulk: boolean, summary: string) =>
    scope.post(
      url,
      {
        schema: {
          summary,
          tags: ['Calculated Attributes Seeding API'],
          security: [{ basic: [] }],
          body: bulk
            ? { type: 'array', minItems: 1, maxItems: 100, items: seedUserSchema, examples: [bulkSeedExample] }
            : { ...seedUserSchema, examples: [singleSeedExample] },
          response: responses,
        },
      },
      async (request: FastifyRequest, reply) => {
        if (request.body === undefined) throw new BodyEmpty(bulk ? 'an array of users with their seeds' : 'a user with its seeds');
        const input = authenticated.get(request)!;
        const result = await seeding.seed({
          input,
          body: request.body,
          bodyBytes: Number(request.headers['content-length'] ?? Infinity),
          bulk,
          ip: request.ip,
        });
        if (input.rateLimitPerSecond > 0) void reply.header('x-mp-rate-limit-percentage-used', String(result.rateLimitPercentUsed));
        return reply.code(202).send();
      },
    );

  const single = "Seed one user's calculated attributes (and set user attributes)";
  const many = 'Seed the calculated attributes of up to 100 users, all or nothing';
  route('/v2/calculatedattributes', false, single);
  route('/v2/bulkcalculatedattributes', true, many);
  // The page's sample requests end their paths with a slash.
  route('/v2/calculatedattributes/', false, `${single} (the path as the page's samples write it)`);
  route('/v2/bulkcalculatedattributes/', true, `${many} (the path as the page's samples write it)`);
}
