import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { killUnderLoad, makeDataDir, type QuantaProcess, removeDataDir, startQuanta } from '../helpers/quanta-process.ts';

/**
 * Kill -9 under IDSync load: Quanta answers an identify/login only once the profile it returns
 * is written, so every MPID a client was given still resolves after a SIGKILL and a restart; and
 * two logins racing for the same new customer get one profile.
 */

const LOOPS = 6;
const MIN_LOAD_MS = 1_500;
/** Keep the load on past MIN_LOAD_MS until this many customers are acknowledged (slow machines). */
const MIN_ACKED = 60;
const MAX_LOAD_MS = 45_000;
const RACES = 20;

const run = randomUUID().slice(0, 8);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A Web SDK identity request body. */
function identityBody(known: Record<string, string>): string {
  return JSON.stringify({
    client_sdk: { platform: 'web', sdk_vendor: 'mparticle', sdk_version: '2.68.0' },
    environment: 'production',
    request_id: randomUUID(),
    request_timestamp_ms: Date.now(),
    previous_mpid: null,
    known_identities: known,
  });
}

const customerBody = (customerid: string) =>
  identityBody({ customerid, email: `${customerid}@example.com`, device_application_stamp: randomUUID() });

async function post(quanta: QuantaProcess, path: string, body: string): Promise<Response> {
  return fetch(`${quanta.url}${path}`, {
    method: 'POST',
    headers: { authorization: quanta.authorization, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(30_000),
  });
}

/** Runs `fn` over `items`, `width` at a time. */
async function eachLimited<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * Sends the same POST on `count` fresh connections so they reach the server together: every
 * request is written but its body's last byte, and once all of them are on the wire those last
 * bytes go out in one synchronous loop. Resolves with each answer's status and body.
 */
async function simultaneous(quanta: QuantaProcess, path: string, bodies: string[]): Promise<{ status: number; body: string }[]> {
  const sockets = await Promise.all(
    bodies.map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(quanta.port, '127.0.0.1', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const answers = sockets.map(
    (socket) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.once('error', reject);
        socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
        socket.once('close', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
          const at = text.indexOf('\r\n\r\n');
          resolve({ status, body: at === -1 ? text : text.slice(at + 4) });
        });
      }),
  );
  const payloads = bodies.map((body) => {
    const bytes = Buffer.from(body, 'utf8');
    const head =
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${quanta.port}\r\nAuthorization: ${quanta.authorization}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
    return { first: Buffer.concat([Buffer.from(head, 'latin1'), bytes.subarray(0, -1)]), last: bytes.subarray(-1) };
  });
  sockets.forEach((socket, i) => socket.write(payloads[i]!.first));
  await sleep(100); // let the server read everything but the last bytes
  sockets.forEach((socket, i) => socket.write(payloads[i]!.last));
  return Promise.all(answers);
}

describe('identity crash recovery: kill -9 under IDSync load', () => {
  let dataDir: string | undefined;
  const running: QuantaProcess[] = [];

  afterAll(async () => {
    for (const q of running) await q.kill('SIGKILL');
    removeDataDir(dataDir);
  });

  it('keeps every acknowledged MPID after a SIGKILL and a restart, and gives racing logins one MPID', { timeout: 180_000 }, async () => {
    dataDir = makeDataDir('quanta-identity-crash-');

    // 1. Load: LOOPS loops, each identifying or logging in customers only it uses.
    const first = await startQuanta({ dataDir });
    running.push(first);
    const acked = new Map<string, string>();
    const unexpected: string[] = [];
    let unanswered = 0;
    const { exit, inFlightAtKill } = await killUnderLoad(first, {
      loops: LOOPS,
      step: async (id, n) => {
        const customerid = `idcrash-${run}-${id}-${n}`;
        const operation = n % 2 === 0 ? 'identify' : 'login';
        try {
          const res = await post(first, `/identity/v1/${operation}`, customerBody(customerid));
          const text = await res.text();
          if (res.status !== 200) {
            unexpected.push(`${operation} ${customerid}: ${res.status} ${text.slice(0, 300)}`);
            return;
          }
          const mpid = (JSON.parse(text) as { mpid?: unknown }).mpid;
          if (typeof mpid !== 'string' || !/^-?\d+$/.test(mpid)) unexpected.push(`${operation} ${customerid}: 200 without an mpid: ${text}`);
          else acked.set(customerid, mpid);
        } catch {
          unanswered++; // no answer (the kill): the client does not know its MPID
        }
      },
      acked: () => acked.size,
      failed: () => unexpected.length > 0,
      minMs: MIN_LOAD_MS,
      minAcked: MIN_ACKED,
      maxMs: MAX_LOAD_MS,
    });
    const ackedAtKill = new Map(acked);

    expect(unexpected, 'every answered identity request is a 200 with an mpid').toEqual([]);
    expect(exit.signal).toBe('SIGKILL');
    expect(inFlightAtKill, 'requests were in flight at the kill').toBeGreaterThan(0);
    expect(ackedAtKill.size, 'enough customers were acknowledged for the test to mean something').toBeGreaterThan(20);
    expect(new Set(ackedAtKill.values()).size, 'each new customer got a profile of its own').toBe(ackedAtKill.size);

    // 2. Restart on the same data dir: every acknowledged customer resolves to the MPID it was given.
    const second = await startQuanta({ dataDir, readyTimeoutMs: 120_000 });
    running.push(second);
    const lost: string[] = [];
    await eachLimited([...ackedAtKill], 8, async ([customerid, mpid]) => {
      const res = await post(second, '/identity/v1/search', identityBody({ customerid }));
      const text = await res.text();
      const got = res.status === 200 ? (JSON.parse(text) as { mpid?: string }).mpid : undefined;
      if (got !== mpid) lost.push(`${customerid}: acknowledged ${mpid}, after the restart ${res.status} ${got ?? text.slice(0, 200)}`);
    });
    expect(lost, 'acknowledged customers that no longer resolve to their MPID').toEqual([]);

    // A login of an acknowledged customer finds that profile rather than creating another.
    const [someone, theirMpid] = [...ackedAtKill][Math.floor(ackedAtKill.size / 2)]!;
    const again = await post(second, '/identity/v1/login', customerBody(someone));
    expect(again.status).toBe(200);
    expect(((await again.json()) as { mpid: string }).mpid).toBe(theirMpid);

    // 3. Two logins for the same brand-new customer, reaching the server together: one MPID.
    const splits: string[] = [];
    for (let i = 0; i < RACES; i++) {
      const customerid = `idrace-${run}-${i}`;
      const answers = await simultaneous(second, '/identity/v1/login', [customerBody(customerid), customerBody(customerid)]);
      for (const a of answers) expect(a.status, a.body).toBe(200);
      const mpids = answers.map((a) => (JSON.parse(a.body) as { mpid: string }).mpid);
      if (mpids[0] !== mpids[1]) splits.push(`${customerid}: ${mpids.join(' vs ')}`);
      const found = await post(second, '/identity/v1/search', identityBody({ customerid }));
      expect(found.status).toBe(200);
      expect(((await found.json()) as { mpid: string }).mpid, customerid).toBe(mpids[0]);
    }
    expect(splits, 'racing logins for one new customer that got different MPIDs').toEqual([]);

    const stopped = await second.stop();
    expect(stopped, second.output()).toEqual({ code: 0, signal: null });

    console.log(
      `identity-crash: ${ackedAtKill.size} customers acknowledged before the kill (${inFlightAtKill} requests in flight, ` +
        `${unanswered} unanswered), all resolved after the restart; ${RACES} login races, one MPID each`,
    );
  });
});
