import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { PLAN, screen } from '../../test/fixtures/data-plan.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { openStorage } from '../storage/engines.ts';
import { backfill, BackfillError } from './backfill.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const stored = (config: ReturnType<typeof loadConfig>) => () => openStorage(config, 'cli');
let q: Quanta;
let url: string;
let bearer: string;

const api = (method: string, path: string, body: unknown) =>
  q.app.inject({ method: method as 'POST', url: path, headers: { authorization: bearer, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const nowhere = async () => q.use('events').count({ workspaceId: workspaceId(1), eventType: 'screen_view' });

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  await q.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(q.app.server.address() as AddressInfo).port}`;
  bearer = await bearerAuth(q);
  const plan = { data_plan_id: 'app', data_plan_name: 'App', data_plan_versions: [{ version: 1, activated_environment: 'production', version_document: PLAN }] };
  expect((await api('POST', '/platform/v2/workspaces/1/plans', plan)).statusCode).toBe(200);
  // Five users each send an unplanned screen view: all blocked.
  const batches = Array.from({ length: 5 }, (_, i) => ({
    environment: 'production',
    events: [screen('Later')],
    user_identities: { customer_id: `cli-${i}` },
    context: { data_plan: { plan_id: 'app' } },
  }));
  const res = await q.app.inject({ method: 'POST', url: '/v2/bulkevents', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(batches) });
  expect(res.statusCode).toBe(202);
  await q.processor.caughtUp();
  expect(await nowhere()).toBe(0);
});
afterAll(async () => {
  await q.close();
});

describe('quanta backfill', () => {
  it('runs as a command: a dry run counts and sends nothing, with the credentials the data dir stores', async () => {
    const out = await run(process.execPath, ['bin/quanta.js', 'backfill', '--plan', 'app', '--dry-run', '--chunk', '2', '--url', url], {
      cwd: root,
      env: { ...process.env, QUANTA_DATA_DIR: q.config.dataDir },
      encoding: 'utf8',
    });
    expect(out.stdout).toMatch(/Would send 5 of 5 blocked batches of plan app against version 1 \(5 still blocked by it, 0 with nothing to send\)/);
    expect(await nowhere()).toBe(0);
  });

  it('says what to do when the plan is unknown or Quanta is not running', async () => {
    const failed = await run(process.execPath, ['bin/quanta.js', 'backfill', '--plan', 'nope', '--url', url], {
      cwd: root,
      env: { ...process.env, QUANTA_DATA_DIR: q.config.dataDir },
      encoding: 'utf8',
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringMatching(/quanta backfill: 404: The specified plan ID nope/) });
    const config = loadConfig({ QUANTA_DATA_DIR: q.config.dataDir });
    await expect(backfill(config, { plan: 'app', workspace: 1, chunk: 2, progress: false, url: 'http://127.0.0.1:9' }, stored(config))).rejects.toThrow(
      BackfillError,
    );
  });

  it('backfills in chunks once the plan allows the data, each blocked batch once', async () => {
    const v2 = { ...PLAN, data_points: [...PLAN.data_points!, { match: { type: 'screen_view', criteria: { screen_name: 'Later' } }, validator: { type: 'json_schema', definition: {} } }] };
    expect((await api('POST', '/platform/v2/workspaces/1/plans/app/versions', { version: 2, activated_environment: 'production', version_document: v2 })).statusCode).toBe(200);
    const config = loadConfig({ QUANTA_DATA_DIR: q.config.dataDir });
    const totals = await backfill(config, { plan: 'app', workspace: 1, chunk: 2, progress: false, url }, stored(config));
    expect(totals).toEqual({ target_version: 2, examined: 5, sent: 5, blocked_again: 0, nothing_to_send: 0, requests: 3 });
    await q.processor.caughtUp();
    expect(await nowhere()).toBe(5);
    const again = await backfill(config, { plan: 'app', workspace: 1, chunk: 2, progress: false, url }, stored(config));
    expect(again).toMatchObject({ examined: 0, sent: 0 });
    await q.processor.caughtUp();
    expect(await nowhere()).toBe(5);
  });
});
