import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Mpid, parseMpid, workspaceId } from '../kernel/ids.ts';
import type { LogRecord } from '../model/envelope.ts';
import { ok, type Stage } from '../model/stage.ts';
import { envelope } from '../storage/contracts/event-log.contract.ts';
import { SqliteEventLog } from '../storage/sqlite/sqlite-event-log.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { Processor } from './processor.ts';

const logger = pino({ level: 'silent' });
const ws = workspaceId(1);
const user = (mpid: string) => ({ workspaceId: ws, mpid: parseMpid(mpid) as Mpid });
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function openLog(file = join(tempDir('proc-erase'), 'log.sqlite')) {
  const log = new SqliteEventLog({ file, partitions: 4 });
  closers.push(() => log.close());
  return { log, file };
}

/** A stage that records what it ran, and whose runs and flushes can be held. */
function probe() {
  const seen: LogRecord[] = [];
  let running = 0;
  let flushing = 0;
  let hold: Promise<void> | undefined;
  let release: () => void = () => undefined;
  const stage: Stage = {
    name: 'probe',
    async run(r) {
      running++;
      try {
        if (hold) await hold;
        seen.push(r);
        return ok(r);
      } finally {
        running--;
      }
    },
    async flush() {
      flushing++;
      await new Promise((r) => setTimeout(r, 20));
      flushing--;
    },
  };
  return {
    stage,
    seen,
    busy: () => ({ running, flushing }),
    holdRuns() {
      hold = new Promise((r) => (release = r));
    },
    releaseRuns() {
      hold = undefined;
      release();
    },
  };
}

describe('Processor exclusive section', () => {
  it('runs its work with every loop at a record boundary and no flush in flight, then goes on', async () => {
    const { log } = openLog();
    const p1 = probe();
    const processor = new Processor({ log, stages: [p1.stage], logger });
    await processor.start();
    closers.push(() => processor.stop());
    const appending = (async () => {
      for (let i = 0; i < 40; i++) await log.append([envelope(String((i % 5) + 1), i)]);
    })();
    const seenInside: { running: number; flushing: number }[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await processor.exclusive(async () => {
        seenInside.push(p1.busy());
        const before = p1.seen.length;
        await new Promise((r) => setTimeout(r, 15));
        expect(p1.seen.length).toBe(before);
      });
    }
    await appending;
    await processor.caughtUp();
    expect(seenInside.every((b) => b.running === 0 && b.flushing === 0)).toBe(true);
    expect(p1.seen).toHaveLength(40);
  });

  it('waits for a record being run, and sections run one at a time', async () => {
    const { log } = openLog();
    const p1 = probe();
    const processor = new Processor({ log, stages: [p1.stage], logger });
    await processor.start();
    closers.push(() => processor.stop());
    p1.holdRuns();
    await log.append([envelope('1', 1)]);
    await new Promise((r) => setTimeout(r, 30));
    const order: string[] = [];
    const first = processor.exclusive(async () => {
      order.push(`first ${p1.seen.length}`);
      await new Promise((r) => setTimeout(r, 10));
      order.push('first done');
    });
    const second = processor.exclusive(async () => void order.push('second'));
    await new Promise((r) => setTimeout(r, 30));
    expect(order).toEqual([]);
    p1.releaseRuns();
    await Promise.all([first, second]);
    expect(order).toEqual(['first 1', 'first done', 'second']);
  });

  it('opens again when the work fails, and runs the work of a processor not running', async () => {
    const { log } = openLog();
    const p1 = probe();
    const processor = new Processor({ log, stages: [p1.stage], logger });
    expect(await processor.exclusive(async () => 'stopped')).toBe('stopped');
    await processor.start();
    closers.push(() => processor.stop());
    await expect(processor.exclusive(async () => Promise.reject(new Error('eraser failed')))).rejects.toThrow('eraser failed');
    await log.append([envelope('1', 1)]);
    await processor.caughtUp();
    expect(p1.seen).toHaveLength(1);
  });
});

describe('Processor tombstones', () => {
  it('skips records of users erased while they were read into memory already', async () => {
    const { log } = openLog();
    const p1 = probe();
    const processor = new Processor({ log, stages: [p1.stage], logger, readLimit: 100 });
    // One chunk holding both users' records, its run held after the first one.
    const appended = await log.append(Array.from({ length: 10 }, (_, i) => envelope(i % 2 === 0 ? '1' : '3', i)));
    await processor.start();
    closers.push(() => processor.stop());
    p1.holdRuns();
    await new Promise((r) => setTimeout(r, 30));
    const erasing = processor.exclusive(async () => processor.skipErased([user('1'), user('3')]));
    p1.releaseRuns();
    await erasing;
    await processor.caughtUp();
    // At most the record in hand when the section was asked for ran; none after it.
    expect(p1.seen.length).toBeLessThanOrEqual(2);
    expect(appended).toHaveLength(10);
  });

  it("skips a tombstoned user's records after a restart and a rewind (replay), and runs everyone else's", async () => {
    const { log, file } = openLog();
    await log.append([envelope('1', 1), envelope('2', 2)]);
    await log.tombstone([user('1')]);
    // A straggler: resolved to the erased user before the erasure, appended after its tombstone.
    await log.append([envelope('1', 3), envelope('2', 4)]);
    const reader = new SqliteEventLog({ file, appends: false });
    closers.push(() => reader.close());
    const p1 = probe();
    const processor = new Processor({ log: reader, appends: log, stages: [p1.stage], logger });
    await processor.start();
    await processor.caughtUp();
    await processor.stop();
    expect(p1.seen.map((r) => `${r.mpid}:${r.batch.events[0]!.data.event_name}`)).toEqual(['2:e2', '2:e4']);
    await processor.rewind();
    p1.seen.length = 0;
    await processor.start();
    await processor.caughtUp();
    await processor.stop();
    expect(p1.seen.map((r) => r.mpid)).toEqual(['2', '2']);
  });
});
