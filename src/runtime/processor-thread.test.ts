import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceId } from '../kernel/ids.ts';
import { pino } from 'pino';
import { CAPABILITIES } from '../capabilities.ts';
import { loadConfig } from '../config/config.ts';
import type { Quanta } from '../main.ts';
import { PlanNotFound } from '../planning/plan-errors.ts';
import { openStorage } from '../storage/engines.ts';
import { failing } from '../../test/fixtures/failing-capability.ts';
import { createQuanta as createRuntime } from './app-runtime.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { PLAN, screen } from '../../test/fixtures/data-plan.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';

const ws = workspaceId(1);
let q: Quanta | undefined;
let seq = 0;

afterEach(async () => {
  await q?.close();
  q = undefined;
});

async function send(app: Quanta, events: number): Promise<void> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/v2/events',
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    payload: {
      environment: 'production',
      source_request_id: `thread-${++seq}`,
      user_identities: { customerid: `thread-user-${seq}` },
      events: Array.from({ length: events }, (_, i) => ({ event_type: 'custom_event', data: { event_name: `E${i}`, custom_event_type: 'other' } })),
    },
  });
  expect(res.statusCode).toBe(202);
}

const threadNames = () => readdirSync('/proc/self/task').map((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());

describe('the processor thread', () => {
  it('processes on a thread of its own, and the app reads the event store and the metrics through it', async () => {
    q = await quantaApp();
    expect(threadNames()).toContain('quanta-process');
    await send(q, 3);
    await q.processor.caughtUp();
    expect(await q.use('events').count({ workspaceId: ws })).toBe(3);
    expect((await q.use('events').list({ workspaceId: ws }, 10)).map((e) => e.eventName).sort()).toEqual(['E0', 'E1', 'E2']);
    const metrics = await q.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/quanta_pipeline_stage_outcomes_total\{stage="event-store",outcome="ok"\} 1/);
    expect(metrics.body).toMatch(/quanta_http_requests_total/);
  });

  it('is started again when it dies, and goes on from its committed offsets: each event stored once', async () => {
    q = await quantaApp();
    await send(q, 2);
    await q.processor.caughtUp();
    const worker = (q.processor as unknown as { worker: Worker }).worker;
    await worker.terminate();
    await expect(q.use('events').count({ workspaceId: ws })).rejects.toThrow(/processor thread is not running/);
    await send(q, 4);
    await q.processor.caughtUp();
    await expect.poll(() => q!.use('events').count({ workspaceId: ws }).catch(() => -1), { timeout: 10_000 }).toBe(6);
  });

  it('keeps the live stream\'s watchers across a restart: the thread\'s hub matches, the app hands each message to its watcher', async () => {
    q = await quantaApp();
    const app = q;
    const seen: string[] = [];
    const stop = app.processor.live.subscribe({ workspaceId: ws, eventTypes: new Set(['custom_event']) }, (m) => {
      if (m.kind === 'event') seen.push(m.event.eventName ?? '');
    });
    await send(app, 2);
    await expect.poll(() => seen.length).toBe(2);
    // Ended while idle: a thread ended in the middle of a DuckDB write takes the process with it.
    await app.processor.caughtUp();
    await (app.processor as unknown as { worker: Worker }).worker.terminate();
    // The thread is started again after a second; the watcher is subscribed to the new one.
    await expect.poll(() => app.use('events').count({ workspaceId: ws }).catch(() => -1), { timeout: 10_000 }).toBe(2);
    await send(app, 1);
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(3);
    stop();
    await send(app, 1);
    await app.processor.caughtUp();
    expect(await app.use('events').count({ workspaceId: ws })).toBe(4);
    expect(seen).toEqual(['E0', 'E1', 'E0']);
  });

  it('enforces a plan version changed while it runs, not the one it had read before', async () => {
    q = await quantaApp();
    const app = q;
    const bearer = await bearerAuth(app);
    const plans = (method: 'POST' | 'PATCH', url: string, payload: unknown) =>
      app.app.inject({ method, url: `/platform/v2/workspaces/1/plans${url}`, headers: { authorization: bearer, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
    const created = await plans('POST', '', {
      data_plan_id: 'relay',
      data_plan_name: 'Relay',
      data_plan_versions: [{ version: 1, activated_environment: 'production', version_document: PLAN }],
    });
    expect(created.statusCode, created.body).toBe(200);
    const nowhere = async () => {
      const res = await app.app.inject({
        method: 'POST',
        url: '/v2/events',
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        payload: { environment: 'production', source_request_id: `relay-${++seq}`, events: [screen('Nowhere')], context: { data_plan: { plan_id: 'relay' } } },
      });
      expect(res.statusCode, res.body).toBe(202);
      await app.processor.caughtUp();
      return (await app.use('events').list({ workspaceId: ws, eventType: 'screen_view' }, 10)).length;
    };
    // Unplanned: blocked by version 1, which the processor thread has now read.
    expect(await nowhere()).toBe(0);
    const planned = { ...PLAN, data_points: [...PLAN.data_points!, { match: { type: 'screen_view', criteria: { screen_name: 'Nowhere' } }, validator: { type: 'json_schema', definition: {} } }] };
    const updated = await plans('PATCH', '/relay/versions/1', { version: 1, version_document: planned, activated_environment: 'production' });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(await nowhere()).toBe(1);
  });

  it('passes a coded error thrown on the thread to the app as itself: its class, and its status through a route', async () => {
    const config = loadConfig({ QUANTA_DATA_DIR: tempDir('quanta'), PORT: '0' });
    q = await createRuntime(config, pino({ level: 'silent' }), {
      capabilities: [...CAPABILITIES, failing],
      storage: openStorage(config, 'app'),
      processor: { entry: new URL('../../test/fixtures/failing-processor.mjs', import.meta.url), workerData: { config } },
    });
    const call = q.processor.call as unknown as (name: string, planId: string) => Promise<never>;
    const error = await call.call(q.processor, 'test.fail', 'nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanNotFound);
    expect(error).toMatchObject({ code: 'QUANTA_PLAN_NOT_FOUND', status: 404, message: 'The specified plan ID nope in workspace 1 was not found.' });
    const res = await q.app.inject({ method: 'GET', url: '/test/fail/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_PLAN_NOT_FOUND');
    expect(res.json()).toEqual({ errors: [{ code: 'NOT_FOUND', message: 'The specified plan ID nope in workspace 1 was not found.' }] });
  });

  it('that cannot start fails the start with its reason', async () => {
    const dataDir = tempDir('quanta');
    // A directory where DuckDB's file must go: the thread cannot open the event store.
    mkdirSync(join(dataDir, 'events.duckdb'));
    await expect(quantaApp({ QUANTA_DATA_DIR: dataDir })).rejects.toThrow(/the processor thread could not start: .*events\.duckdb/);
  });
});
