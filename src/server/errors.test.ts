import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantaApp } from '../../test/helpers/quanta-app.ts';
import { RateLimitExceeded } from '../platform/platform-errors.ts';
import { ERROR_CODE_HEADER, handleError } from './errors.ts';

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify({ bodyLimit: 2048 });
  app.setErrorHandler(handleError);
  app.get('/limited', async () => {
    throw new RateLimitExceeded(3, 'app');
  });
  app.get('/broken', async () => {
    throw new TypeError('secret internals');
  });
  app.post('/json', async () => ({}));
  app.get('/query', { schema: { querystring: { type: 'object', properties: { n: { type: 'integer' } } } } }, async () => ({}));
  await app.ready();
});
afterAll(async () => {
  await app.close();
});

describe('handleError', () => {
  it('answers a coded error with its status, headers, body and registered code', async () => {
    const res = await app.inject('/limited');
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.headers[ERROR_CODE_HEADER]).toBe('QUANTA_INPUT_RATE_LIMITED');
    expect(res.json()).toEqual({ errors: [{ code: 'RATE_LIMITED', message: 'Rate limit exceeded for this app; retry after 3 s with backoff.' }] });
  });

  it('codes Fastify\'s client errors, keeping their bodies', async () => {
    const post = (payload: string, type = 'application/json') => app.inject({ method: 'POST', url: '/json', headers: { 'content-type': type }, payload });
    const cases = [
      [await post('x'.repeat(4096)), 413, 'QUANTA_HTTP_BODY_TOO_LARGE', 'REQUEST_TOO_LARGE', 'The request body is larger than 2 KB; send fewer batches per request.'],
      [await post('<a/>', 'text/xml'), 415, 'QUANTA_HTTP_CONTENT_TYPE_UNSUPPORTED', 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Content-Type; send application/json.'],
      [await post(''), 400, 'QUANTA_HTTP_BODY_EMPTY', 'BAD_REQUEST', 'The request body is empty; send a JSON document.'],
      [await app.inject('/query?n=x'), 400, 'QUANTA_HTTP_REQUEST_INVALID', 'BAD_REQUEST', 'querystring/n must be integer'],
    ] as const;
    for (const [res, status, code, word, message] of cases) {
      expect(res.statusCode).toBe(status);
      expect(res.headers[ERROR_CODE_HEADER]).toBe(code);
      expect(res.json()).toEqual({ errors: [{ code: word, message }] });
    }
  });

  it('answers anything else with a 500 that names no internals', async () => {
    const res = await app.inject('/broken');
    expect(res.statusCode).toBe(500);
    expect(res.headers[ERROR_CODE_HEADER]).toBe('QUANTA_INTERNAL_ERROR');
    expect(res.json()).toEqual({ errors: [{ code: 'INTERNAL_ERROR', message: 'Quanta failed to handle this request; it was logged. Retry with backoff.' }] });
  });

  it('codes the app\'s answer to a route that does not exist', async () => {
    const q = await quantaApp();
    try {
      const res = await q.app.inject('/no/such/route?x=1');
      expect(res.statusCode).toBe(404);
      expect(res.headers[ERROR_CODE_HEADER]).toBe('QUANTA_HTTP_ROUTE_NOT_FOUND');
      expect(res.json()).toEqual({ errors: [{ code: 'NOT_FOUND', message: 'No route GET /no/such/route; see /openapi.json.' }] });
      // A URL Fastify cannot route at all answers the same way.
      const bad = await q.app.inject('/platform/v2/workspaces/%zz/plans');
      expect(bad.statusCode).toBe(400);
      expect(bad.headers[ERROR_CODE_HEADER]).toBe('QUANTA_HTTP_REQUEST_INVALID');
      expect(bad.json()).toEqual({ errors: [{ code: 'BAD_REQUEST', message: expect.stringMatching(/url/i) }] });
    } finally {
      await q.close();
    }
  });
});
