import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.ts';
import { workspaceId } from '../kernel/ids.ts';
import { replayDataDir, withStores } from '../../test/helpers/data-dir.ts';
import { basicAuth, quantaApp } from '../../test/helpers/quanta-app.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function seeded() {
  const q = await quantaApp();
  for (let i = 0; i < 5; i++) {
    const res = await q.app.inject({
      method: 'POST',
      url: '/v2/events',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      payload: { user_identities: { customer_id: `u${i}` }, events: [{ event_type: 'screen_view', data: { screen_name: `S${i}` } }, { event_type: 'session_end', data: {} }] },
    });
    expect(res.statusCode).toBe(202);
  }
  await q.processor.caughtUp();
  await q.close();
  return q;
}

describe('quanta replay', () => {
  it('rebuilds the event store from the log, each event once', async () => {
    const q = await seeded();
    const config = loadConfig({ QUANTA_DATA_DIR: q.config.dataDir });
    await withStores(config, ['events'], (stores) => stores.events.clear());
    const r = await replayDataDir(config);
    expect(r).toMatchObject({ batches: 5, events: 10 });
    const again = await replayDataDir(config);
    expect(again.events).toBe(10);
    await withStores(config, ['events'], async (check) => {
      expect(await check.events.count({ workspaceId: workspaceId(1), eventType: 'screen_view' })).toBe(5);
    });
  });

  it('runs as a command and says what it did', async () => {
    const q = await seeded();
    const out = spawnSync(process.execPath, ['bin/quanta.js', 'replay'], {
      cwd: root,
      env: { ...process.env, QUANTA_DATA_DIR: q.config.dataDir },
      encoding: 'utf8',
    });
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/Replayed 5 batches into 10 stored events/);
  });
});
