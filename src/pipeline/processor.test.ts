import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { eventStoreStage } from '../analytics/event-store.stage.ts';
import { workspaceId } from '../kernel/ids.ts';
import { DuckDbEventStore } from '../storage/duckdb/duckdb-event-store.ts';
import { envelope } from '../storage/contracts/event-log.contract.ts';
import { SqliteEventLog } from '../storage/sqlite/sqlite-event-log.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { Processor } from './processor.ts';
import { drop, ok, retry, type Stage } from '../model/stage.ts';
import type { LogRecord } from '../model/envelope.ts';

const logger = pino({ level: 'silent' });
const ws = workspaceId(1);
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup() {
  const dir = tempDir('proc');
  const log = new SqliteEventLog({ file: join(dir, 'log.sqlite'), partitions: 4 });
  const store = await DuckDbEventStore.open(join(dir, 'events.duckdb'));
  closers.push(() => store.close(), () => log.close());
  return { log, store };
}

function recorder(): Stage & { seen: LogRecord[] } {
  const seen: LogRecord[] = [];
  return { name: 'recorder', seen, run: (r) => (seen.push(r), ok(r)) };
}

const nameOf = (r: LogRecord) => r.batch.events[0]!.data.event_name;

describe('Processor', () => {
  it('runs each user\'s records through the stages in log order and commits', async () => {
    const { log, store } = await setup();
    const rec = recorder();
    const p = new Processor({ log, stages: [eventStoreStage({ store }), rec], logger });
    await p.start();
    closers.push(() => p.stop());
    for (let i = 0; i < 30; i++) await log.append([envelope(String((i % 3) + 1), i)]);
    await p.caughtUp();
    expect(await store.count({ workspaceId: ws })).toBe(30);
    for (const user of ['1', '2', '3']) {
      const names = rec.seen.filter((r) => r.mpid === user).map(nameOf);
      const expected = Array.from({ length: 30 }, (_, i) => i).filter((i) => String((i % 3) + 1) === user).map((i) => `e${i}`);
      expect(names).toEqual(expected);
    }
    expect(await p.lag()).toBe(0);
  });

  it('lets stages prepare each chunk before running it, runs it unprepared if that fails, and closes stages on stop', async () => {
    const { log } = await setup();
    const chunks: number[][] = [];
    let closed = 0;
    const preparing: Stage = {
      name: 'preparing',
      async prepare(records) {
        chunks.push(records.map((r) => r.offset));
        if (chunks.length === 1) throw new Error('worker gone');
      },
      run: (r) => ok(r),
      async close() {
        closed++;
      },
    };
    const rec = recorder();
    const p = new Processor({ log, stages: [preparing, rec], logger });
    await log.append([envelope('1', 1), envelope('1', 2)]);
    await p.start();
    await p.caughtUp();
    await log.append([envelope('1', 3)]);
    await p.caughtUp();
    await p.stop();
    expect(chunks.flat().sort((a, b) => a - b)).toEqual(rec.seen.map((r) => r.offset).sort((a, b) => a - b));
    expect(rec.seen.map(nameOf)).toEqual(['e1', 'e2', 'e3']);
    expect(closed).toBe(1);
  });

  it('after a crash between the store write and the commit, stores each event once', async () => {
    const { log, store } = await setup();
    const outcomes = await log.append([envelope('5', 1), envelope('5', 2), envelope('6', 3)]);
    // A first run wrote the events but died before committing any offset.
    const crashed = eventStoreStage({ store });
    for (let part = 0; part < log.partitionCount; part++) {
      for (const r of await log.read(part, 0, 10)) await crashed.run(r);
    }
    await crashed.flush!();
    expect(await store.count({ workspaceId: ws })).toBe(3);
    const p = new Processor({ log, stages: [eventStoreStage({ store })], logger });
    await p.start();
    await p.caughtUp();
    await p.stop();
    expect(await store.count({ workspaceId: ws })).toBe(3);
    const ids = (await store.list({ workspaceId: ws }, 10)).map((e) => e.logOffset).sort();
    expect(ids).toEqual(outcomes.map((o) => (o.duplicate ? -1 : o.offset)).sort());
  });

  it('resumes from the committed offset after a restart', async () => {
    const { log, store } = await setup();
    const first = new Processor({ log, stages: [eventStoreStage({ store })], logger });
    await first.start();
    await log.append([envelope('8', 1)]);
    await first.caughtUp();
    await first.stop();
    await log.append([envelope('8', 2)]);
    const rec = recorder();
    const second = new Processor({ log, stages: [eventStoreStage({ store }), rec], logger });
    await second.start();
    await second.caughtUp();
    await second.stop();
    expect(rec.seen.map(nameOf)).toEqual(['e2']);
    expect(await store.count({ workspaceId: ws })).toBe(2);
  });

  it('holds a partition while a stage asks to retry, then goes on in order', async () => {
    const { log } = await setup();
    let tries = 0;
    const flaky: Stage = { name: 'flaky', run: (r) => (nameOf(r) === 'e1' && ++tries < 3 ? retry(5, 'not yet') : ok(r)) };
    const rec = recorder();
    const outcomes: string[] = [];
    const p = new Processor({ log, stages: [flaky, rec], logger, onOutcome: (s, k) => outcomes.push(`${s}:${k}`) });
    await p.start();
    await log.append([envelope('9', 1), envelope('9', 2)]);
    await p.caughtUp();
    await p.stop();
    expect(tries).toBe(3);
    expect(rec.seen.map(nameOf)).toEqual(['e1', 'e2']);
    expect(outcomes.filter((o) => o === 'flaky:ok')).toHaveLength(2);
  });

  it('stops a dropped batch before later stages, and gives up on a stage that keeps throwing', async () => {
    const { log } = await setup();
    const gate: Stage = {
      name: 'gate',
      run(r) {
        if (nameOf(r) === 'e1') return drop('filtered');
        if (nameOf(r) === 'e2') throw new Error('bug');
        return ok(r);
      },
    };
    const rec = recorder();
    const outcomes: string[] = [];
    const p = new Processor({ log, stages: [gate, rec], logger, maxStageErrors: 2, onOutcome: (s, k) => outcomes.push(`${s}:${k}`) });
    await p.start();
    await log.append([envelope('10', 1), envelope('10', 2), envelope('10', 3)]);
    await p.caughtUp();
    await p.stop();
    expect(rec.seen.map(nameOf)).toEqual(['e3']);
    expect(outcomes).toEqual(['gate:drop', 'gate:error', 'gate:ok', 'recorder:ok']);
  });

  it('rewinds: forgets derived data and rebuilds it from the whole log', async () => {
    const { log, store } = await setup();
    const p = new Processor({ log, stages: [eventStoreStage({ store })], logger });
    await p.start();
    await log.append([envelope('11', 1), envelope('12', 2)]);
    await p.caughtUp();
    await p.stop();
    await p.rewind();
    expect(await store.count({ workspaceId: ws })).toBe(0);
    expect(await p.lag()).toBe(2);
    await p.start();
    await p.caughtUp();
    await p.stop();
    expect(await store.count({ workspaceId: ws })).toBe(2);
  });
});
