import { describe, expect, it } from 'vitest';
import { Poller } from './poller.ts';

/** A run that stays in progress until `finish` is called. */
function heldRun(order: string[]) {
  let finish!: () => void;
  let runs = 0;
  const work = async () => {
    const n = ++runs;
    order.push(`run ${n} started`);
    await new Promise<void>((r) => (finish = r));
    order.push(`run ${n} done`);
  };
  return { work, finish: () => finish() };
}

describe('Poller.exclusive', () => {
  it('runs after the run in progress and before the next one', async () => {
    const order: string[] = [];
    const held = heldRun(order);
    const poller = new Poller(held.work, 60_000);
    const first = poller.run();
    await Promise.resolve();
    const between = poller.exclusive(async () => {
      order.push('exclusive');
      return 42;
    });
    const second = poller.run();
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual(['run 1 started']);
    held.finish();
    await first;
    expect(await between).toBe(42);
    await new Promise((r) => setTimeout(r, 10));
    held.finish();
    await second;
    expect(order).toEqual(['run 1 started', 'run 1 done', 'exclusive', 'run 2 started', 'run 2 done']);
  });

  it('answers its work’s failure, and the runs after it still run', async () => {
    const order: string[] = [];
    const poller = new Poller(async () => void order.push('run'), 60_000);
    await expect(poller.exclusive(() => Promise.reject(new Error('erasure failed')))).rejects.toThrow('erasure failed');
    await poller.run();
    expect(order).toEqual(['run']);
  });
});
