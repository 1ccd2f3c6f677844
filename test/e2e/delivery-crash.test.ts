import { afterAll, describe, expect, it } from 'vitest';
import { type Receiver, startReceiver, until } from '../helpers/receiver.ts';
import { killUnderLoad, makeDataDir, type QuantaProcess, removeDataDir, startQuanta } from '../helpers/quanta-process.ts';

/**
 * Kill -9 during delivery: every batch Quanta acknowledged reaches the webhook receiver after the
 * restart (at least once; a batch delivered twice carries the same idempotency key both times),
 * while the receiver itself is flaky (every third request answers 503).
 */

const CLIENT_ID = 'delivery-client';
const CLIENT_SECRET = 'delivery-client-secret';
const ENV = { QUANTA_CLIENT_ID: CLIENT_ID, QUANTA_CLIENT_SECRET: CLIENT_SECRET, QUANTA_DELIVERY_RETRY_BASE_MS: '20', QUANTA_RATE_LIMIT: '0' };

async function bearer(quanta: QuantaProcess): Promise<string> {
  const token = await fetch(`${quanta.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'client_credentials', audience: 'https://api.mparticle.com' }),
  });
  return `Bearer ${((await token.json()) as { access_token: string }).access_token}`;
}

let dataDir: string | undefined;
let quanta: QuantaProcess | undefined;
let receiver: Receiver | undefined;
afterAll(async () => {
  await quanta?.stop().catch(() => undefined);
  await receiver?.close();
  removeDataDir(dataDir);
});

describe('kill -9 during delivery', () => {
  it('loses no acknowledged batch: each reaches the receiver after the restart, a resent one with its key', async () => {
    receiver = await startReceiver((_r, i) => (i % 3 === 2 ? { status: 503 } : { status: 200 }));
    dataDir = makeDataDir();
    quanta = await startQuanta({ dataDir, env: ENV });
    const authorization = await bearer(quanta);
    const headers = { authorization, 'content-type': 'application/json' };
    const output = await fetch(`${quanta.url}/platform/v2/workspaces/1/outputs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'crash hook', kind: 'webhook', settings: { url: `${receiver.url}/hook` } }),
    });
    expect(output.status).toBe(201);
    const { id: outputId } = (await output.json()) as { id: number };
    const connection = await fetch(`${quanta.url}/platform/v2/workspaces/1/connections`, { method: 'POST', headers, body: JSON.stringify({ output_id: outputId }) });
    expect(connection.status).toBe(201);

    const acked = new Set<string>();
    let failure: string | undefined;
    const live = quanta;
    await killUnderLoad(quanta, {
      loops: 4,
      minMs: 1500,
      minAcked: 200,
      maxMs: 20_000,
      acked: () => acked.size,
      failed: () => failure !== undefined,
      step: async (loop, n) => {
        const id = `crash-${loop}-${n}`;
        try {
          const res = await fetch(`${live.url}/v2/events`, {
            method: 'POST',
            headers: { authorization: live.authorization, 'content-type': 'application/json' },
            body: JSON.stringify({ environment: 'production', source_request_id: id, user_identities: { customer_id: `c${loop}-${n % 7}` }, events: [{ event_type: 'custom_event', data: { event_name: id } }] }),
          });
          if (res.status === 202) acked.add(id);
          else if (res.status !== 503) failure = `HTTP ${res.status}`;
        } catch {
          // The kill: an answer that never came was not acknowledged.
        }
      },
    });
    expect(failure).toBeUndefined();
    quanta = await startQuanta({ dataDir, env: ENV });
    const names = () => new Set(receiver!.received.filter((r) => r.path === '/hook').map((r) => /"event_name":"(crash-[\d-]+)"/.exec(r.body)?.[1]));
    await until('every acknowledged batch delivered', () => {
      const got = names();
      return [...acked].every((id) => got.has(id));
    }, 60_000);
    // A batch sent twice (the kill came between its send and its commit) had one key both times.
    const keysOf = new Map<string, Set<string>>();
    for (const r of receiver.received) {
      const name = /"event_name":"(crash-[\d-]+)"/.exec(r.body)?.[1];
      if (!name) continue;
      keysOf.set(name, (keysOf.get(name) ?? new Set()).add(r.headers['x-quanta-idempotency-key'] as string));
    }
    for (const [name, keys] of keysOf) expect(keys.size, name).toBe(1);
    expect(acked.size).toBeGreaterThanOrEqual(200);
  }, 120_000);
});
