import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Mpid, parseMpid, workspaceId } from '../kernel/ids.ts';
import type { Envelope } from '../model/envelope.ts';
import { Processor } from '../pipeline/processor.ts';
import { DuckDbEventStore } from '../storage/duckdb/duckdb-event-store.ts';
import { SqliteCalculatedStore } from '../storage/sqlite/sqlite-calculated-store.ts';
import { SqliteEventLog } from '../storage/sqlite/sqlite-event-log.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { CalculatedEngine } from './calculated-engine.ts';
import { calculatedStage } from './calculated.stage.ts';
import { definitionOf } from './test-batches.ts';
import { userValues } from './user-values.ts';
import { userAttributesOf } from '../model/enrichment.ts';

const ws = workspaceId(1);
const logger = pino({ level: 'silent' });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const purchase = (mpid: string, n: number): Envelope => ({
  workspaceId: ws,
  inputId: 1 as never,
  mpid: parseMpid(mpid) as Mpid,
  receivedAtMs: Date.now(),
  channel: 'server_to_server',
  historical: false,
  ip: null,
  dedupKey: null,
  batch: {
    environment: 'production',
    user_identities: {},
    user_attributes: {},
    events: Array.from({ length: n }, () => ({ event_type: 'custom_event' as const, data: { event_name: 'Play', custom_event_type: 'other', timestamp_unixtime_ms: Date.now() } })),
  },
});

/** A processor with the calculated-attributes stage alone, on real files; `writeEveryMs` set so that nothing is written until it stops. */
async function processorOn(dir: string, writeEveryMs: number, { dies = false } = {}) {
  const log = new SqliteEventLog({ file: join(dir, 'log.sqlite'), partitions: 4 });
  const store = new SqliteCalculatedStore(join(dir, 'state.sqlite'));
  const values = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
  const engine = new CalculatedEngine(store);
  const stage = calculatedStage({ engine, store, values, log, writeEveryMs });
  // A process that dies does not write on the way out.
  if (dies) delete stage.close;
  const processor = new Processor({ log, stages: [stage], logger });
  return { log, store, values, engine, processor };
}

/** An active attribute counting plays. */
async function createPlays(store: SqliteCalculatedStore): Promise<void> {
  await store.create(ws, {
    name: 'plays',
    description: null,
    created_on: '',
    created_by: '',
    last_modified_on: null,
    last_modified_by: null,
    draft_definition: null,
    active_definition: definitionOf('count', { event_name: 'Play', custom_event_type: 'other' }, { time_period: { type: 'since', date: '2025-01-01T00:00:00' } }),
    activated_on: null,
    activated_by: null,
    revision: 1,
  });
}

describe('calculated attributes, written behind', () => {
  it('counts again from the log what a crash lost, so each event counts once', async () => {
    const dir = tempDir('ca-recovery');
    const first = await processorOn(dir, 60 * 60_000, { dies: true });
    await createPlays(first.store);
    await first.processor.start();
    const users = ['11', '-22', '33'];
    for (let i = 0; i < 30; i++) await first.log.append([purchase(users[i % 3]!, 1 + (i % 2))]);
    await first.processor.caughtUp();
    // Processed and committed, live states not written: the process dies here.
    await first.processor.stop();
    expect(await first.store.appliedOffsets()).toEqual(new Map());
    await first.log.close();
    await first.store.close();
    await first.values.close();

    const second = await processorOn(dir, 60 * 60_000);
    closers.push(() => second.log.close(), () => second.store.close(), () => second.values.close());
    await second.processor.start();
    for (let i = 0; i < 3; i++) await second.log.append([purchase(users[i]!, 1)]);
    await second.processor.caughtUp();
    await second.processor.stop();
    const attributes = second.engine.registry.of(ws).all;
    const counted = await second.store.users(ws, users.map((u) => parseMpid(u) as Mpid));
    // Each user: 10 batches of 1 or 2 plays before the crash (15 plays), then 1.
    expect(users.map((u) => userValues(attributes, counted.get(parseMpid(u) as Mpid), Date.now()).plays)).toEqual(['16', '16', '16']);
    // Put in the event store with the states.
    const stored = await Promise.all(users.map(async (u) => (await second.values.calculatedValues(ws, parseMpid(u) as Mpid))?.values));
    expect(stored).toEqual([{ plays: '16' }, { plays: '16' }, { plays: '16' }]);
  });

  it('hands each record its user\'s values as computed attributes, a view that refuses to be read after a later record changed them', async () => {
    const dir = tempDir('ca-view');
    const { log, store, values, engine } = await processorOn(dir, 60 * 60_000);
    closers.push(() => log.close(), () => store.close(), () => values.close());
    await createPlays(store);
    const stage = calculatedStage({ engine, store, values, log, writeEveryMs: 60 * 60_000 });
    const [first, second] = [
      { ...purchase('11', 2), partition: 0, offset: 1 },
      { ...purchase('11', 1), partition: 0, offset: 2 },
    ];
    await stage.prepare!([first, second]);
    const ran = await stage.run(first);
    if (ran.kind !== 'ok') throw new Error(ran.kind);
    expect(userAttributesOf(ran.record)).toEqual({ plays: '2' });
    expect(ran.record.batch).toBe(first.batch);
    await stage.run(second);
    expect(() => userAttributesOf(ran.record)).toThrow(/read after a later record changed them/);
  });
});
