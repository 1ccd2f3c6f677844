import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { CatalogStore } from './catalog-store.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { LogRecord } from '../model/envelope.ts';
import { envelope } from '../storage/contracts/event-log.contract.ts';
import { SqliteCatalogStore } from '../storage/sqlite/sqlite-catalog-store.ts';
import { SqliteEventLog } from '../storage/sqlite/sqlite-event-log.ts';
import { loadConfig } from '../config/config.ts';
import { replayDataDir, withStores } from '../../test/helpers/data-dir.ts';
import { basicAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { customEvent, logRecord } from '../../test/helpers/log-records.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { catalogStage } from './catalog.stage.ts';
import { Processor } from '../pipeline/processor.ts';

const ws = workspaceId(1);
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function openStore(file = join(tempDir('catalog-stage'), 'state.sqlite')) {
  const store = new SqliteCatalogStore(file);
  closers.push(() => store.close());
  return store;
}

/** Each point's count and each attribute's, as `key` / `key.attribute`. */
async function counts(store: CatalogStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of await store.points(ws)) {
    out[p.key] = p.count;
    for (const a of p.attributes) out[`${p.key}.${a.name}`] = a.count;
  }
  return out;
}

const records: LogRecord[] = [
  logRecord({ events: [customEvent('A', { x: 1 })], user_attributes: { plan: 'gold' } }, { partition: 0, offset: 1 }),
  logRecord({ events: [customEvent('A', { x: 2 }), customEvent('B')] }, { partition: 1, offset: 2 }),
  logRecord({ events: [customEvent('A')] }, { partition: 0, offset: 3 }),
  logRecord({ events: [customEvent('B')] }, { partition: 1, offset: 4 }),
];
const once = {
  'custom_event:navigation:A': 3,
  'custom_event:navigation:A.x': 2,
  'custom_event:navigation:B': 2,
  user_attributes: 1,
  'user_attributes.plan': 1,
};

async function runAll(stage: ReturnType<typeof catalogStage>, list: readonly LogRecord[]) {
  for (const r of list) expect(await stage.run(r)).toEqual({ kind: 'ok', record: r });
}

describe('catalogStage', () => {
  it('counts only in memory until flushed, then writes the counts and offsets together', async () => {
    const store = openStore();
    const stage = catalogStage({ store });
    await runAll(stage, records);
    expect(await store.points(ws)).toEqual([]);
    await stage.flush!();
    expect(await counts(store)).toEqual(once);
    expect(await store.appliedOffsets()).toEqual(new Map([[0, 3], [1, 4]]));
    await stage.flush!();
    expect(await counts(store)).toEqual(once);
  });

  it('after a crash between its flush and the commit, counts re-read records once', async () => {
    const store = openStore();
    const first = catalogStage({ store });
    for (const p of [0, 1]) await first.recover!(p, 0);
    await runAll(first, records);
    await first.flush!();
    // The processor had committed only offset 1 of partition 0 when it died; a record counted
    // in memory but never flushed dies with it.
    await first.run(logRecord({ events: [customEvent('Lost')] }, { partition: 1, offset: 5 }));

    const second = catalogStage({ store });
    await second.recover!(0, 1);
    await second.recover!(1, 0);
    await runAll(second, records.filter((r) => r.partition === 1 || r.offset > 1));
    await runAll(second, [logRecord({ events: [customEvent('Lost')] }, { partition: 1, offset: 5 })]);
    await second.flush!();
    expect(await counts(store)).toEqual({ ...once, 'custom_event:navigation:Lost': 1 });
    expect(await store.appliedOffsets()).toEqual(new Map([[0, 3], [1, 5]]));
  });

  it('carries what a failed write did not save into the next one', async () => {
    const store = openStore();
    let failures = 1;
    const flaky: CatalogStore = {
      apply: (deltas, offsets) => (failures-- > 0 ? Promise.reject(new Error('disk full')) : store.apply(deltas, offsets)),
      appliedOffsets: () => store.appliedOffsets(),
      points: (w) => store.points(w),
      eraseUsers: (w, mpids) => store.eraseUsers(w, mpids),
      reset: () => store.reset(),
      close: () => store.close(),
    };
    const stage = catalogStage({ store: flaky });
    await runAll(stage, records.slice(0, 2));
    await expect(stage.flush!()).rejects.toThrow('disk full');
    await runAll(stage, records.slice(2));
    await stage.flush!();
    expect(await counts(store)).toEqual(once);
    expect(await store.appliedOffsets()).toEqual(new Map([[0, 3], [1, 4]]));
  });

  it('reset forgets the counts and the offsets, so a replay counts from the start', async () => {
    const store = openStore();
    const stage = catalogStage({ store });
    await runAll(stage, records);
    await stage.flush!();
    await stage.reset!();
    expect(await store.points(ws)).toEqual([]);
    for (const p of [0, 1]) await stage.recover!(p, 0);
    await runAll(stage, records);
    await stage.flush!();
    expect(await counts(store)).toEqual(once);
  });

  it('with the processor: a restart after a lost commit leaves every count as it was', async () => {
    const dir = tempDir('catalog-processor');
    const log = new SqliteEventLog({ file: join(dir, 'log.sqlite'), partitions: 4 });
    closers.push(() => log.close());
    const store = openStore(join(dir, 'state.sqlite'));
    const logger = pino({ level: 'silent' });
    await log.append(Array.from({ length: 20 }, (_, i) => envelope(String((i % 5) + 1), i)));

    const first = new Processor({ log, stages: [catalogStage({ store })], logger });
    await first.start();
    await first.caughtUp();
    await first.stop();
    const before = await counts(store);
    expect(Object.values(before).reduce((a, b) => a + b, 0)).toBe(20);
    // The commits were lost: the next processor reads the whole log again.
    for (let p = 0; p < log.partitionCount; p++) await log.commit('processor', p, 0);

    const second = new Processor({ log, stages: [catalogStage({ store })], logger });
    await second.start();
    await second.caughtUp();
    await log.append([envelope('1', 20)]);
    await second.caughtUp();
    await second.stop();
    expect(await counts(store)).toEqual({ ...before, 'custom_event:other:e20': 1 });
  });

  it('is wired into Quanta: quanta replay rebuilds the Catalog with each record counted once', async () => {
    const q = await quantaApp();
    for (let i = 0; i < 3; i++) {
      const res = await q.app.inject({
        method: 'POST',
        url: '/v2/events',
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        payload: { user_attributes: { n: i }, events: [customEvent('Replayed', { i })] },
      });
      expect(res.statusCode).toBe(202);
    }
    await q.processor.caughtUp();
    const live = await counts(q.stores.catalog);
    await q.close();
    expect(live).toEqual({ 'custom_event:navigation:Replayed': 3, 'custom_event:navigation:Replayed.i': 3, user_attributes: 3, 'user_attributes.n': 3 });

    const config = loadConfig({ QUANTA_DATA_DIR: q.config.dataDir });
    await replayDataDir(config);
    await replayDataDir(config);
    await withStores(config, ['catalog'], async (stores) => {
      expect(await counts(stores.catalog)).toEqual(live);
    });
  });
});
