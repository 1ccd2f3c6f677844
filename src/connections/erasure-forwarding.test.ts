import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Answer, type Receiver, startReceiver } from '../../test/helpers/receiver.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { ErasureNotice } from '../privacy/subject-data.ts';
import { SqliteConnectionStore } from '../storage/sqlite/sqlite-connection-store.ts';
import type { ConnectionConfig } from './connection-store.ts';
import { ErasureForwarding } from './erasure-forwarding.ts';
import { IDEMPOTENCY_HEADER } from './http-send.ts';
import { outputKinds } from './kinds/index.ts';
import { ERASURE_REQUEST_TYPE } from './kinds/webhook-erasure.ts';
import type { OutputEngines } from './output-engines.ts';
import { parseSettings } from './settings.ts';

const ws = workspaceId(1);
const kinds = outputKinds({} as OutputEngines);
const notice: ErasureNotice = {
  subjectRequestId: 'a7551968-d5d6-44b2-9831-815ac9017798',
  regulation: 'gdpr',
  submittedTime: '2021-11-01T15:00:00Z',
  mpids: ['7346244611012968789' as Mpid],
  identities: { email: 'johndoe@example.com', ios_advertising_id: 'EA7583CD-A667-48BC-B806-42ECB2B48606' },
};
const connection = (outputId: number, over: Partial<ConnectionConfig> = {}): ConnectionConfig => ({
  inputId: null,
  outputId,
  environment: 'all',
  audienceId: null,
  filter: null,
  forwardingRules: [],
  rules: [],
  samplingPercent: 100,
  active: true,
  backfillFromMs: null,
  ...over,
});

let store: SqliteConnectionStore;
let receivers: Receiver[] = [];
beforeEach(() => {
  store = new SqliteConnectionStore(join(tempDir('connections'), 'state.sqlite'));
});
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
  store.close();
});

async function receiver(answer: (index: number) => Answer = () => ({ status: 202 })): Promise<Receiver> {
  const r = await startReceiver((_request, i) => answer(i));
  receivers.push(r);
  return r;
}

/** A saved output of `kind` (its settings parsed as the API does) with one connection. */
function output(name: string, kind: string, settings: Record<string, unknown>, over: Partial<ConnectionConfig> = {}, workspace = ws) {
  const parsed = parseSettings(kinds.get(kind)!, settings);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  const saved = store.createOutput(workspace, { name, kind, settings: parsed.value }, 0);
  store.createConnection(workspace, connection(saved.id, over), 0);
  return saved;
}

const forwarding = (budgetMs = 10_000) =>
  new ErasureForwarding({ connections: store, kinds, timeoutMs: 2_000, retry: { baseMs: 10, maxMs: 50, budgetMs }, logger: pino({ level: 'silent' }), random: () => 1 });

describe('ErasureForwarding', () => {
  it('POSTs an OpenDSR-shaped erasure request to each active webhook output, once per output, and answers sent', async () => {
    const r = await receiver();
    const saved = output('Erasure hook', 'webhook', { url: `${r.url}/dsr`, authorization_header: 'Bearer s3cr3t' });
    store.createConnection(ws, connection(saved.id), 0);
    const statuses = await forwarding().forward(ws, notice);
    expect(statuses).toEqual([{ domain: '127.0.0.1', name: 'Erasure hook', status: 'sent' }]);
    expect(r.received).toHaveLength(1);
    const [request] = r.received;
    expect(request).toMatchObject({ method: 'POST', path: '/dsr' });
    expect(request!.headers).toMatchObject({ authorization: 'Bearer s3cr3t', 'content-type': 'application/json' });
    expect(request!.headers[IDEMPOTENCY_HEADER.toLowerCase()]).toBe(`erasure-${notice.subjectRequestId}-${saved.id}`);
    const body = JSON.parse(request!.body) as Record<string, unknown>;
    expect(body).toEqual({
      type: ERASURE_REQUEST_TYPE,
      api_version: '3.0',
      subject_request_id: notice.subjectRequestId,
      subject_request_type: 'erasure',
      regulation: 'gdpr',
      submitted_time: '2021-11-01T15:00:00Z',
      subject_identities: {
        email: { value: 'johndoe@example.com', encoding: 'raw' },
        ios_advertising_id: { value: 'EA7583CD-A667-48BC-B806-42ECB2B48606', encoding: 'raw' },
      },
      mpids: ['7346244611012968789'],
      timestamp_ms: expect.any(Number),
    });
  });

  it('retries a receiver that fails twice (503, then 429 with Retry-After) and answers sent once it acknowledges', async () => {
    const r = await receiver((i) => (i === 0 ? { status: 503 } : i === 1 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 202 }));
    output('Flaky hook', 'webhook', { url: r.url });
    expect(await forwarding().forward(ws, notice)).toEqual([{ domain: '127.0.0.1', name: 'Flaky hook', status: 'sent' }]);
    expect(r.received).toHaveLength(3);
    expect(new Set(r.received.map((q) => q.headers[IDEMPOTENCY_HEADER.toLowerCase()])).size).toBe(1);
  });

  it('fails at once on a 400, with what the receiver said; gives up on a 5xx once the retry budget is spent', async () => {
    const refusing = await receiver(() => ({ status: 400, body: '{"error":"unknown request type"}' }));
    const down = await receiver(() => ({ status: 500 }));
    output('Refusing hook', 'webhook', { url: refusing.url });
    output('Down hook', 'webhook', { url: down.url });
    const statuses = await forwarding(100).forward(ws, notice);
    expect(statuses).toEqual([
      { domain: '127.0.0.1', name: 'Refusing hook', status: 'failed', status_message: `${refusing.url} answered 400: {"error":"unknown request type"}` },
      { domain: '127.0.0.1', name: 'Down hook', status: 'failed', status_message: expect.stringMatching(/ answered 500: \{\} \(gave up after \d+ tries\)$/) },
    ]);
    expect(refusing.received).toHaveLength(1);
    expect(down.received.length).toBeGreaterThan(1);
  });

  it('skips a request with no identity or MPID to forward', async () => {
    const r = await receiver();
    output('Hook', 'webhook', { url: r.url });
    expect(await forwarding().forward(ws, { ...notice, mpids: [], identities: {} })).toEqual([
      { domain: '127.0.0.1', name: 'Hook', status: 'skipped', status_message: 'The request has no identity or MPID to forward.' },
    ]);
    expect(r.received).toEqual([]);
  });

  it('leaves out inactive connections, other workspaces, outputs switched off and kinds that do not forward erasures', async () => {
    const r = await receiver();
    output('Inactive', 'webhook', { url: `${r.url}/inactive` }, { active: false });
    output('Other workspace', 'webhook', { url: `${r.url}/other` }, {}, workspaceId(2));
    output('Switched off', 'webhook', { url: `${r.url}/off`, forward_erasure_requests: false });
    output('Braze', 'braze', { api_key: 'k', rest_endpoint: 'https://rest.iad-01.braze.com' });
    store.createOutput(ws, { name: 'Not connected', kind: 'webhook', settings: { url: `${r.url}/unconnected` } }, 0);
    expect(await forwarding().forward(ws, notice)).toEqual([]);
    expect(r.received).toEqual([]);
  });

  it('stops retrying when Quanta stops: the forward rejects, to be run again', async () => {
    const r = await receiver(() => ({ status: 503 }));
    output('Down hook', 'webhook', { url: r.url });
    const f = new ErasureForwarding({ connections: store, kinds, timeoutMs: 2_000, retry: { baseMs: 60_000, maxMs: 60_000, budgetMs: 3_600_000 }, logger: pino({ level: 'silent' }) });
    const forwarded = f.forward(ws, notice);
    while (r.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    f.stop();
    await expect(forwarded).rejects.toThrow(/stopped before the erasure request/);
  });
});
