import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Answer, type Receiver, startReceiver, until } from '../../test/helpers/receiver.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { inputId, type Mpid, parseMpid, workspaceId } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import { SqliteDeliveryStore } from '../storage/sqlite/sqlite-delivery-store.ts';
import type { ConnectionRecord } from './connection-store.ts';
import { ConnectionDelivery, type DeliveryOptions, type Forward } from './delivery.ts';
import type { StreamAppend } from './delivery-store.ts';
import type { StreamBatch } from './stream-batch.ts';
import { IDEMPOTENCY_HEADER } from './http-send.ts';
import { webhook } from './kinds/webhook.ts';
import { parseSettings } from './settings.ts';

const ws = workspaceId(1);
const users: Mpid[] = Array.from({ length: 20 }, (_, i) => parseMpid(String(1000 + i))!);

const connection: ConnectionRecord = {
  id: 5,
  workspaceId: ws,
  inputId: 1,
  outputId: 1,
  environment: 'all',
  audienceId: null,
  filter: null,
  forwardingRules: [],
  rules: [],
  samplingPercent: 100,
  active: true,
  backfillFromMs: null,
  createdAtMs: 0,
  updatedAtMs: 0,
};

const OPTIONS: DeliveryOptions = { chunkSize: 50, concurrency: 8, idleMs: 10, retry: { baseMs: 20, maxMs: 100, budgetMs: 60_000 } };

/** `n` batches, user by user in turn, each with one event naming its number. */
function batches(n: number, from = 1): StreamAppend[] {
  return Array.from({ length: n }, (_, i) => {
    const k = from + i;
    const mpid = users[k % users.length]!;
    const batch = { events: [{ event_type: 'custom_event', data: { event_name: `n${k}` } }], environment: 'production', user_identities: {}, user_attributes: {}, mpid };
    return { workspaceId: ws, inputId: inputId(1), mpid, receivedAtMs: Date.now(), logPartition: 0, logOffset: k, batch: stringifyLossless(batch) };
  });
}

let receiver: Receiver | undefined;
let running: ConnectionDelivery[] = [];
afterEach(async () => {
  await Promise.all(running.map((d) => d.stop()));
  running = [];
  await receiver?.close();
  receiver = undefined;
});

async function setUp(
  answer: (index: number) => Answer,
  options: Partial<DeliveryOptions> = {},
  forward: Forward = (b) => b,
  failCommits = 0,
  erased: (b: StreamBatch) => boolean = () => false,
) {
  receiver = await startReceiver((_r, i) => answer(i));
  const real = new SqliteDeliveryStore(join(tempDir('delivery'), 'delivery.sqlite'));
  // The real store, its first commits failing as a busy or full disk would make them.
  let failing = failCommits;
  const store = new Proxy(real, {
    get(target, name, receiver) {
      if (name === 'commit' && failing > 0) {
        return async () => {
          failing -= 1;
          throw new Error('SQLITE_FULL: database or disk is full');
        };
      }
      const value = Reflect.get(target, name, receiver) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const settings = parseSettings(webhook, { url: `${receiver.url}/hook`, authorization_header: 'Bearer abc' });
  if (!settings.ok) throw new Error(settings.problems.join('; '));
  const start = () => {
    const d = new ConnectionDelivery(connection, {
      store,
      output: webhook.open(settings.value, { timeoutMs: 300 }),
      forward,
      erased,
      options: { ...OPTIONS, ...options },
      events: { sent: () => undefined, failed: () => undefined, retried: () => undefined, deadLettered: () => undefined },
      logger: pino({ level: 'silent' }),
      startSeq: async () => 0,
    });
    running.push(d);
    d.start();
    return d;
  };
  return { store, receiver, start };
}

/** The event numbers each user's deliveries carried, in the order they first arrived. */
function firstArrivals(r: Receiver): Map<string, number[]> {
  const seen = new Set<string>();
  const byUser = new Map<string, number[]>();
  for (const req of r.received) {
    const key = req.headers[IDEMPOTENCY_HEADER.toLowerCase()] as string;
    if (seen.has(key)) continue;
    seen.add(key);
    const body = JSON.parse(req.body) as { mpid: number; events: { data: { event_name: string } }[] };
    const mpid = /"mpid":(-?\d+)/.exec(req.body)![1]!;
    byUser.set(mpid, [...(byUser.get(mpid) ?? []), ...body.events.map((e) => Number(e.data.event_name.slice(1)))]);
  }
  return byUser;
}

describe('a connection\'s delivery', () => {
  it('delivers every batch through a flaky receiver (503s, timeouts, resets), each user\'s in order, a retry with the same key', async () => {
    const flaky = (i: number): Answer => (i % 2 === 0 ? { status: 503 } : i % 7 === 0 ? 'hang' : i % 11 === 0 ? 'reset' : { status: 200 });
    const { store, receiver: r, start } = await setUp(flaky);
    await store.append(batches(200));
    start();
    await until('every batch delivered', async () => (await store.cursor(connection.id, 0)).committed === 200);
    const arrivals = firstArrivals(r);
    expect([...arrivals.values()].flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (const numbers of arrivals.values()) expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    // Every key that failed was sent again, and every request is one batch in mParticle's format.
    const keys = r.received.map((q) => q.headers[IDEMPOTENCY_HEADER.toLowerCase()]);
    expect(new Set(keys).size).toBe(200);
    expect(keys.length).toBeGreaterThan(300);
    const first = JSON.parse(r.received[0]!.body) as Record<string, unknown>;
    expect(first).toMatchObject({ environment: 'production', events: [{ event_type: 'custom_event' }] });
    expect(r.received[0]!.headers.authorization).toBe('Bearer abc');
    expect(await store.cursor(connection.id, 0)).toMatchObject({ sent: 200, dead_lettered: 0, claimed: 200 });
    expect((await store.cursor(connection.id, 0)).retried).toBeGreaterThan(100);
  });

  it('drops an erased user\'s batches it holds, before each try and from its dead letters', async () => {
    let answer: Answer = { status: 503 };
    const gone = new Set<string>();
    const { store, receiver: r, start } = await setUp(() => answer, {}, (b) => b, 0, (b) => gone.has(b.mpid));
    const erasedUser = `"mpid":${users[3]}`;
    const keptUser = `"mpid":${users[4]}`;
    await store.append(batches(40));
    start();
    // Every request of the chunk is in hand, waiting for its retry, when the user is erased.
    await until('both users tried once', () => r.received.some((q) => q.body.includes(erasedUser)) && r.received.some((q) => q.body.includes(keptUser)));
    gone.add(users[3]!);
    const at = r.received.length;
    answer = { status: 400 };
    await until('the chunk committed', async () => (await store.cursor(connection.id, 0)).committed === 40);
    const after = r.received.slice(at);
    expect(after.some((q) => q.body.includes(keptUser))).toBe(true);
    expect(after.some((q) => q.body.includes(erasedUser))).toBe(false);
    const letters = await store.deadLetters(connection.id, 100);
    expect(letters.length).toBeGreaterThan(0);
    expect(JSON.stringify(letters)).not.toContain(String(users[3]));
  });

  it('keeps batches while the receiver is down (connections refused), and delivers them all once it is back', async () => {
    const { store, receiver: r, start } = await setUp(() => ({ status: 200 }));
    const port = Number(new URL(r.url).port);
    await r.close();
    await store.append(batches(30));
    start();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect((await store.cursor(connection.id, 0)).committed).toBe(0);
    receiver = await startReceiver(() => ({ status: 200 }), port);
    await until('every batch delivered after the outage', async () => (await store.cursor(connection.id, 0)).committed === 30);
    expect([...firstArrivals(receiver).values()].flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(await store.cursor(connection.id, 0)).toMatchObject({ dead_lettered: 0, sent: 30, retried: expect.any(Number) });
    expect((await store.cursor(connection.id, 0)).failed).toBeGreaterThan(0);
  });

  it('does not call a receiver that answered 429 with Retry-After: 2 again before 2 s', async () => {
    // One request at a time, so every request after the 429 is one the connection chose to send.
    const { store, receiver: r, start } = await setUp((i) => (i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }), { concurrency: 1 });
    await store.append(batches(3));
    start();
    await until('3 batches delivered', async () => (await store.cursor(connection.id, 0)).committed === 3, 10_000);
    expect(r.received.length).toBe(4);
    const throttledAt = r.received[0]!.atMs;
    for (const later of r.received.slice(1)) expect(later.atMs - throttledAt).toBeGreaterThanOrEqual(1990);
  });

  it('dead-letters a batch the receiver refuses (a 4xx other than 408 and 429) at once, and goes on', async () => {
    const { store, receiver: r, start } = await setUp(() => ({ status: 200 }));
    r.answerWith((q) => (q.body.includes('"n2"') ? { status: 400, body: '{"error":"bad field"}' } : { status: 200 }));
    await store.append(batches(4));
    start();
    await until('the chunk committed', async () => (await store.cursor(connection.id, 0)).committed === 4);
    const [letter] = await store.deadLetters(connection.id, 10);
    expect(letter).toMatchObject({ key: '5-2-2', attempts: 1, batches: [{ seq: 2 }] });
    expect(letter!.error).toMatch(/answered 400: \{"error":"bad field"\}/);
    expect(await store.cursor(connection.id, 0)).toMatchObject({ sent: 3, dead_lettered: 1, retried: 0, lastError: { message: letter!.error } });
    expect(r.received.filter((q) => q.body.includes('"n2"'))).toHaveLength(1);
  });

  it('dead-letters a batch still failing when its retry budget is spent', async () => {
    const { store, start } = await setUp(() => ({ status: 500 }), { retry: { baseMs: 10, maxMs: 20, budgetMs: 200 } });
    await store.append(batches(1));
    start();
    await until('the batch dead-lettered', async () => (await store.cursor(connection.id, 0)).committed === 1);
    const [letter] = await store.deadLetters(connection.id, 10);
    expect(letter!.attempts).toBeGreaterThan(2);
    expect(letter!.error).toMatch(/answered 500.*gave up after \d+ tries/);
  });

  it('goes on from its cursor when its store fails, sending the claimed chunk again under the same keys', async () => {
    const { store, receiver: r, start } = await setUp(() => ({ status: 200 }), { chunkSize: 10 }, (b) => b, 1);
    await store.append(batches(10));
    start();
    await until('the chunk committed after the failed commit', async () => (await store.cursor(connection.id, 0)).committed === 10, 10_000);
    const keys = r.received.map((q) => q.headers[IDEMPOTENCY_HEADER.toLowerCase()] as string);
    expect(keys).toHaveLength(20);
    expect(new Set(keys).size).toBe(10);
    expect((await store.cursor(connection.id, 0)).sent).toBe(10);
  });

  it('counts batches the connection does not forward as filtered, sending nothing for them', async () => {
    const { store, receiver: r, start } = await setUp(() => ({ status: 200 }), {}, (b) => (b.seq % 2 === 0 ? null : b));
    await store.append(batches(10));
    start();
    await until('the chunk committed', async () => (await store.cursor(connection.id, 0)).committed === 10);
    expect(r.received).toHaveLength(5);
    expect(await store.cursor(connection.id, 0)).toMatchObject({ sent: 5, filtered: 5 });
  });

  it('after a stop in the middle of a chunk, sends the claimed chunk again with the same keys, and nothing more is lost', async () => {
    const { store, receiver: r, start } = await setUp((i) => (i < 6 ? 'hang' : { status: 200 }), { chunkSize: 10 });
    await store.append(batches(10));
    const first = start();
    await until('requests in flight', () => r.received.length >= 6);
    await store.append(batches(5, 11));
    await first.stop();
    expect(await store.cursor(connection.id, 0)).toMatchObject({ committed: 0, claimed: 10 });
    const keysBefore = new Set(r.received.map((q) => q.headers[IDEMPOTENCY_HEADER.toLowerCase()]));
    start();
    await until('all 15 delivered', async () => (await store.cursor(connection.id, 0)).committed === 15);
    const arrivals = firstArrivals(r);
    expect([...arrivals.values()].flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    // The first chunk's requests were sent again under the keys they had.
    const resent = r.received.slice(keysBefore.size).map((q) => q.headers[IDEMPOTENCY_HEADER.toLowerCase()] as string);
    for (const key of keysBefore) expect(resent).toContain(key);
    expect(resent.filter((k) => /^5-(1[1-5])-/.test(k))).toHaveLength(5);
  });
});
