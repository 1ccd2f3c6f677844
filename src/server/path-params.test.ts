import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Quanta } from '../main.ts';
import { API_KEY, basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { ERROR_CODE_HEADER } from './errors.ts';

/** What a careless client puts in a path id; '' where the router still matches the route. */
const MALFORMED = ['0', '-1', '1e309', '9223372036854775808', '1.5', 'abc', ' 1', ''];

/** A value each path param takes in a request that is otherwise good. */
const GOOD: Record<string, string> = { workspaceId: '1', orgId: '1', accountId: '1', mpid: '1', planId: 'no-such-plan', version: '1', key: API_KEY };

interface Operation {
  method: string;
  path: string;
  params: { name: string; integer: boolean }[];
  security: string[];
}

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema: { type?: string } }[]; security?: Record<string, unknown>[] }>>;
}

let q: Quanta;
let bearer: string;
let operations: Operation[];

beforeAll(async () => {
  q = await quantaApp();
  bearer = await bearerAuth(q);
  const doc = (await q.app.inject('/openapi.json')).json() as OpenApi;
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).filter(([method]) => method !== 'head').map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => ({ name: p.name, integer: p.schema.type === 'integer' })),
      security: (op.security ?? []).flatMap((s) => Object.keys(s)),
    })),
  );
});
afterAll(async () => {
  await q.close();
});

function request(op: Operation, values: Record<string, string>) {
  const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? GOOD[name]!));
  const authorization = op.security.includes('bearer') || op.security.includes('oauth') ? bearer : op.security.includes('basic') ? basicAuth() : undefined;
  const withBody = op.method === 'POST' || op.method === 'PATCH';
  return q.app.inject({
    method: op.method as 'GET',
    url,
    headers: { ...(authorization ? { authorization } : {}), ...(withBody ? { 'content-type': 'application/json' } : {}) },
    ...(withBody ? { payload: '{}' } : {}),
  });
}

describe('malformed path ids', () => {
  it('finds the routes with path params in the OpenAPI document', () => {
    const withParams = operations.filter((op) => op.params.length > 0);
    expect(withParams.length).toBeGreaterThan(20);
    expect(withParams.flatMap((op) => op.params.filter((p) => p.integer).map((p) => p.name))).toEqual(
      expect.arrayContaining(['workspaceId', 'orgId', 'accountId', 'version']),
    );
  });

  it('answers each malformed value of each path param with a coded 4xx, never a 5xx; a bad id is a 400 naming it', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      for (const param of op.params) {
        for (const value of MALFORMED) {
          const res = await request(op, { [param.name]: value });
          const where = `${op.method} ${op.path} with ${param.name}=${JSON.stringify(value)}: ${res.statusCode} ${res.body}`;
          const body = String(res.headers['content-type']).includes('application/json') ? (res.json() as { errors?: unknown }) : undefined;
          const errors = Array.isArray(body?.errors) ? (body.errors as { code?: unknown; reason?: unknown; message?: unknown }[]) : [];
          // mParticle's body names a code word per entry; the DSR API's (/opendsr) a reason.
          const coded = errors.length > 0 && errors.every((e) => (typeof e.code === 'string' || typeof e.reason === 'string') && typeof e.message === 'string');
          const header = String(res.headers[ERROR_CODE_HEADER] ?? '');
          if (res.statusCode < 400 || res.statusCode >= 500 || !coded || !/^QUANTA_[A-Z0-9_]+(,QUANTA_[A-Z0-9_]+)*$/.test(header)) {
            failures.push(where);
          } else if (param.integer) {
            const named = errors.some((e) => String(e.message).includes(param.name) && String(e.message).includes(`"${value}"`));
            if (res.statusCode !== 400 || header !== 'QUANTA_HTTP_PATH_ID_INVALID' || !named) failures.push(where);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('still answers good requests afterwards', async () => {
    const plans = await q.app.inject({ url: '/platform/v2/workspaces/1/plans', headers: { authorization: bearer } });
    expect(plans.statusCode).toBe(200);
    expect((await q.app.inject('/healthz')).statusCode).toBe(200);
  });

  it('keeps today\'s 403 for a well-formed id of a workspace that does not exist', async () => {
    const res = await q.app.inject({ url: '/platform/v2/workspaces/9007199254740991/catalog', headers: { authorization: bearer } });
    expect(res.statusCode).toBe(403);
    expect(res.headers[ERROR_CODE_HEADER]).toBe('QUANTA_AUTH_WORKSPACE_FORBIDDEN');
  });

  it('refuses a workspace_id query that is not a workspace id', async () => {
    const res = await q.app.inject({ url: '/livestream?workspace_id=1e309', headers: { authorization: bearer } });
    expect(res.statusCode).toBe(400);
    expect(res.headers[ERROR_CODE_HEADER]).toBe('QUANTA_HTTP_REQUEST_INVALID');
  });
});
