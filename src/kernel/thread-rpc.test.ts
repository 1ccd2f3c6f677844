import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { Peer } from './thread-rpc.mjs';

interface Api {
  add(a: number, b: number): number;
  later(ms: number): Promise<string>;
  fails(): never;
}

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function pair() {
  const channel = new MessageChannel();
  channels.push(channel);
  const server = new Peer<Record<never, never>, Record<never, never>, { tick: number }>(channel.port1);
  const client = new Peer<Api, { tick: number }>(channel.port2);
  return { server, client };
}

describe('Peer (the thread protocol)', () => {
  it('answers each call with its handler\'s value, in any order the handlers finish', async () => {
    const { server, client } = pair();
    server.serve({
      add: (a: number, b: number) => a + b,
      later: (ms: number) => new Promise<string>((r) => setTimeout(() => r(`after ${ms}`), ms)),
    });
    const slow = client.call('later', 30);
    const fast = client.call('later', 1);
    expect(await client.call('add', 2, 3)).toBe(5);
    expect(await Promise.all([slow, fast])).toEqual(['after 30', 'after 1']);
    expect(client.pending).toBe(0);
  });

  it('rejects a call with the error its handler threw, its code kept, and with a clear one for a name nothing serves', async () => {
    const { server, client } = pair();
    server.serve({
      fails: () => {
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      },
    });
    await expect(client.call('fails')).rejects.toMatchObject({ message: 'database is locked', code: 'SQLITE_BUSY' });
    await expect(client.call('add', 1, 1)).rejects.toThrow('nothing serves "add" on this thread');
  });

  it('sends one-way events to whoever listens, until they stop', async () => {
    const { server, client } = pair();
    const got: number[] = [];
    const stop = client.on('tick', (n) => got.push(n));
    server.emit('tick', 1);
    server.emit('tick', 2);
    await expect.poll(() => got).toEqual([1, 2]);
    stop();
    server.emit('tick', 3);
    server.serve({ add: (a: number, b: number) => a + b });
    // A call after the event: once it is answered, the event has been delivered too (one port keeps order).
    await client.call('add', 0, 0);
    expect(got).toEqual([1, 2]);
  });

  it('fails every call in flight, and every later one, once the other end is gone', async () => {
    const { server, client } = pair();
    server.serve({ later: () => new Promise<string>(() => undefined) });
    const waiting = client.call('later', 0);
    client.fail(new Error('the thread exited'));
    await expect(waiting).rejects.toThrow('the thread exited');
    await expect(client.call('add', 1, 2)).rejects.toThrow('the thread exited');
  });
});
