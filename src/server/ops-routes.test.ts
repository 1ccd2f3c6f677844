import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Quanta } from '../main.ts';
import { basicAuth, quantaApp } from '../../test/helpers/quanta-app.ts';

let q: Quanta;

beforeAll(async () => {
  q = await quantaApp();
});
afterAll(async () => {
  await q.close();
});

describe('operations routes', () => {
  it('/healthz reports ok and the processing lag', async () => {
    const res = await q.app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', log_lag: 0 });
  });

  it('/metrics exposes requests, accepted and rejected events, and lag in Prometheus format', async () => {
    const send = (payload: string, auth = basicAuth()) =>
      q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: auth, 'content-type': 'application/json' }, payload });
    await send('{"events":[{"event_type":"custom_event","data":{"event_name":"A"}},{"event_type":"screen_view","data":{"screen_name":"B"}}]}');
    await send('{"events":[{"event_type":"nope"}]}');
    await send('{}', basicAuth('x', 'y'));
    await q.processor.caughtUp();
    const res = await q.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    const text = res.body;
    expect(text).toMatch(/quanta_http_requests_total\{method="POST",route="\/v2\/events",status="202"\} 1/);
    expect(text).toMatch(/quanta_events_accepted_total\{input="1"\} 2/);
    expect(text).toMatch(/quanta_batches_accepted_total\{input="1"\} 1/);
    expect(text).toMatch(/quanta_requests_rejected_total\{code="BAD_REQUEST"\} 1/);
    expect(text).toMatch(/quanta_requests_rejected_total\{code="FORBIDDEN"\} 1/);
    expect(text).toMatch(/quanta_event_log_lag 0/);
    expect(text).toMatch(/quanta_processing_lag_seconds_count 2/);
    expect(text).toMatch(/quanta_pipeline_stage_outcomes_total\{stage="event-store",outcome="ok"\} 1/);
    // Each stage's flushes are timed: the record's chunk was flushed at least once.
    expect(Number(/quanta_pipeline_stage_flush_seconds_count\{stage="event-store"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('/openapi.json documents every route', async () => {
    const res = await q.app.inject('/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.0.3');
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    // printRoutes draws a tree: a line's depth is where its '── ' starts, its path the parent's plus its own.
    const stack: string[] = [];
    const served = q.app
      .printRoutes({ commonPrefix: false })
      .split('\n')
      .flatMap((line) => {
        const m = /── (\S*)(?: \(([A-Z, ]+)\))?$/.exec(line);
        if (!m) return [];
        const depth = (line.indexOf('── ') - 1) / 4;
        stack.length = depth;
        const path = `${stack.join('')}${m[1]!}`;
        stack.push(m[1]!);
        const openApiPath = path.replace(/:(\w+)/g, '{$1}');
        return (m[2] ?? '').split(', ').filter((x) => x && x !== 'HEAD').map((method) => `${method} ${openApiPath}`);
      });
    expect(served.length).toBeGreaterThanOrEqual(8);
    // CORS preflights (OPTIONS on the browser-facing prefixes) are protocol, not API.
    for (const route of served.filter((r) => !r.startsWith('OPTIONS '))) expect(documented).toContain(route);
    const events = doc.paths['/v2/events']!.post as { requestBody: unknown; responses: Record<string, unknown> };
    expect(Object.keys(events.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '403', '413', '429']));
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await q.app.inject('/v9/nothing');
    expect(res.statusCode).toBe(404);
    expect(res.json().errors[0].message).toMatch(/No route GET \/v9\/nothing/);
  });
});
