import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { connect, type JsMsg, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { inputId, type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';
import { parseJsonLossless } from '../../kernel/lossless-json.ts';
import { DeliveryFailed, type Output, type Settings } from '../output.ts';
import { parseSettings } from '../settings.ts';
import type { StreamBatch } from '../stream-batch.ts';
import { OUTPUT_ENGINES } from '../../storage/output-engines.ts';
import { natsKind } from './nats.ts';

const nats = natsKind(OUTPUT_ENGINES.jetStream);

// The JetStream server these tests run against: a real one, as the machine's nats-server serves it.
const NATS_URL = 'nats://127.0.0.1:4222';
const NATS_SERVER = '/usr/sbin/nats-server';

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

const natsUp = await reachable(4222);
// No skipping: the output is tested against a real JetStream server (.ci/run starts the machine's if it is down).
if (!natsUp) throw new Error(`the nats output tests need a NATS JetStream server at ${NATS_URL}: start nats-server -js`);
if (!existsSync(NATS_SERVER)) throw new Error(`the nats output's authorization tests start ${NATS_SERVER}: install nats-server`);
if (!natsUp) console.warn(`Skipping the nats output's JetStream tests: no NATS server at ${NATS_URL} (start nats-server -js).`);

const ADA = parseMpid('-8433569802424681543')!;
const BOB = parseMpid('8205378195036416813')!;

function batchOf(mpid: Mpid, seq: number, environment: 'production' | 'development' = 'production'): StreamBatch {
  return {
    seq,
    workspaceId: workspaceId(7),
    inputId: inputId(3),
    mpid,
    receivedAtMs: 1767261600000 + seq,
    batch: { events: [{ event_type: 'custom_event', data: { event_name: `n${seq}` } }], environment, user_identities: {}, user_attributes: {} },
  };
}

function settingsOf(raw: Record<string, unknown>): Settings {
  const parsed = parseSettings(nats, raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.value;
}

const unique = () => randomBytes(5).toString('hex');

async function failureOf(p: Promise<unknown>): Promise<DeliveryFailed> {
  const error: unknown = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DeliveryFailed);
  return error as DeliveryFailed;
}

const opened: Output[] = [];
const open = (settings: Settings, timeoutMs = 2000) => {
  const output = nats.open(settings, { timeoutMs });
  opened.push(output);
  return output;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

describe('the nats output\'s settings', () => {
  it('refuse unknown placeholders, bad subjects and stream names, non-NATS URLs, two ways to authenticate', () => {
    const parsed = parseSettings(nats, { url: 'http://x', subject: 'q.{user}.a b', stream: 'a.b', token: 't', user: 'u', password: 'p' });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([
      'settings.url: "http://x" is not a NATS URL; send nats://host:port (or tls://host:port)',
      'settings.subject: "{user}" is not a placeholder; a subject may hold {mpid}, {workspace_id}, {input_id}, {environment}',
      'settings.subject: "q.{user}.a b" holds " "; a subject has no whitespace, wildcards (* >) or braces outside placeholders',
      'settings.stream: "a.b" holds "."; a stream name has no whitespace, dots, wildcards or slashes',
      'settings.token: send one way to authenticate: token, user and password, or credentials',
    ]);
  });

  it('take a cluster\'s URLs and a template', () => {
    const parsed = parseSettings(nats, { url: 'nats://a:4222, tls://b:4222', subject: 'quanta.{workspace_id}.{mpid}' });
    expect(parsed.ok && parsed.value.duplicate_window_seconds).toBe(3600);
  });
});

describe('a nats output that cannot reach its server', () => {
  it('fails its delivery as retryable, and connects again at the next one', async () => {
    const output = open(settingsOf({ url: 'nats://127.0.0.1:1', subject: 'q.{mpid}' }));
    const failed = await failureOf(output.deliver([batchOf(ADA, 1)], 'k'));
    expect(failed.retry).toBe('retry');
    expect(failed.message).toMatch(/NATS at nats:\/\/127\.0\.0\.1:1 could not be reached/);
    expect((await failureOf(output.deliver([batchOf(ADA, 1)], 'k'))).retry).toBe('retry');
  });
});

describe('a nats output on JetStream', () => {
  let nc: NatsConnection;
  const streams: string[] = [];
  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  afterEach(async () => {
    const jsm = await nc.jetstreamManager();
    for (const s of streams.splice(0)) await jsm.streams.delete(s).catch(() => false);
  });
  afterAll(async () => {
    await nc?.drain();
  });

  /** A fresh stream name and subject prefix, the stream deleted after the test. */
  function names() {
    const id = unique();
    streams.push(`QT_${id}`);
    return { stream: `QT_${id}`, prefix: `qt${id}` };
  }

  async function consume(stream: string, n: number): Promise<JsMsg[]> {
    const consumer = await nc.jetstream().consumers.get(stream);
    const got: JsMsg[] = [];
    const messages = await consumer.fetch({ max_messages: n, expires: 2000 });
    for await (const m of messages) got.push(m);
    return got;
  }

  const messagesIn = async (stream: string) => (await (await nc.jetstreamManager()).streams.info(stream)).state.messages;

  it('publishes each batch to its subject, in order, as mParticle JSON with the exact MPID and its ids', async () => {
    const { stream, prefix } = names();
    const output = open(settingsOf({ url: NATS_URL, subject: `${prefix}.{workspace_id}.{environment}.{mpid}`, stream }));
    await output.deliver([batchOf(ADA, 1), batchOf(ADA, 2), batchOf(ADA, 3, 'development')], 'c5-1-4');
    await output.deliver([batchOf(BOB, 4)], 'c5-1-4-1');

    const info = await (await nc.jetstreamManager()).streams.info(stream);
    expect(info.config.subjects).toEqual([`${prefix}.*.*.*`]);
    expect(info.config.duplicate_window).toBe(3600 * 1e9);

    const got = await consume(stream, 4);
    expect(got.map((m) => m.subject)).toEqual([
      `${prefix}.7.production.${ADA}`,
      `${prefix}.7.production.${ADA}`,
      `${prefix}.7.development.${ADA}`,
      `${prefix}.7.production.${BOB}`,
    ]);
    expect(got.map((m) => m.headers?.get('Nats-Msg-Id'))).toEqual(['c5-1-4-0', 'c5-1-4-1', 'c5-1-4-2', 'c5-1-4-1-0']);
    expect(got.map((m) => m.headers?.get('X-Quanta-Idempotency-Key'))).toEqual(['c5-1-4-0', 'c5-1-4-1', 'c5-1-4-2', 'c5-1-4-1-0']);
    const text = got[0]!.string();
    expect(text).toContain(`"mpid":${ADA}`);
    expect(parseJsonLossless(text)).toMatchObject({ mpid: ADA, environment: 'production', events: [{ event_type: 'custom_event', data: { event_name: 'n1' } }] });
  });

  it('stores a delivery repeated with the same key once', async () => {
    const { stream, prefix } = names();
    const output = open(settingsOf({ url: NATS_URL, subject: `${prefix}.{mpid}`, stream }));
    const batches = [batchOf(ADA, 1), batchOf(ADA, 2), batchOf(ADA, 3)];
    await output.deliver(batches, 'c5-1-3');
    await output.deliver(batches, 'c5-1-3');
    const again = open(settingsOf({ url: NATS_URL, subject: `${prefix}.{mpid}`, stream }));
    await again.deliver(batches.slice(0, 2), 'c5-1-3');
    expect(await messagesIn(stream)).toBe(3);
    expect((await consume(stream, 3)).map((m) => parseJsonLossless(m.string()))).toMatchObject([1, 2, 3].map((n) => ({ events: [{ data: { event_name: `n${n}` } }] })));
  });

  it('publishes to a stream that already takes the subject when no stream is named', async () => {
    const { stream, prefix } = names();
    await (await nc.jetstreamManager()).streams.add({ name: stream, subjects: [`${prefix}.>`] });
    const output = open(settingsOf({ url: NATS_URL, subject: `${prefix}.x.{mpid}` }));
    await output.deliver([batchOf(ADA, 1)], 'k');
    expect(await messagesIn(stream)).toBe(1);
  });

  it('fails as retryable when no stream takes the subject (no responders)', async () => {
    const output = open(settingsOf({ url: NATS_URL, subject: `qt${unique()}.{mpid}` }));
    const failed = await failureOf(output.deliver([batchOf(ADA, 1)], 'k'));
    expect(failed.retry).toBe('retry');
    expect(failed.message).toMatch(/no responders/);
  });

  it('fails as permanent when another stream takes the subject than the one named', async () => {
    const { stream, prefix } = names();
    const other = names();
    await (await nc.jetstreamManager()).streams.add({ name: other.stream, subjects: [`${prefix}.x.*`] });
    await (await nc.jetstreamManager()).streams.add({ name: stream, subjects: [`${prefix}.y.*`] });
    const output = open(settingsOf({ url: NATS_URL, subject: `${prefix}.x.{mpid}`, stream }));
    const failed = await failureOf(output.deliver([batchOf(ADA, 1)], 'k'));
    expect(failed.retry).toBe('permanent');
    expect(failed.message).toMatch(/expected stream does not match/);
  });

  it('fails as permanent on a batch over the server\'s max_payload', async () => {
    const { stream, prefix } = names();
    const output = open(settingsOf({ url: NATS_URL, subject: `${prefix}.{mpid}`, stream }));
    const big = batchOf(ADA, 1);
    const failed = await failureOf(output.deliver([{ ...big, batch: { ...big.batch, user_attributes: { blob: 'x'.repeat(2 * 1024 * 1024) } } }], 'k'));
    expect(failed.retry).toBe('permanent');
    expect(failed.message).toMatch(/MAX_PAYLOAD_EXCEEDED/);
  });
});

/** A free local port, for a nats-server of the test's own. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

describe('a nats output refused by the server\'s authorization', () => {
  let server: ChildProcess | undefined;
  let url = '';
  beforeAll(async () => {
    const port = await freePort();
    const conf = join(tempDir('quanta-nats'), 'auth.conf');
    writeFileSync(
      conf,
      'authorization { users = [ { user: limited, password: secret, permissions: { publish: { allow: ["ok.>"] }, subscribe: { allow: ["_INBOX.>"] } } } ] }\n',
    );
    server = spawn(NATS_SERVER, ['-c', conf, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    url = `nats://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 50));
  });
  afterAll(() => {
    server?.kill();
  });

  it('fails as permanent on a wrong password', async () => {
    const output = open(settingsOf({ url, subject: 'ok.{mpid}', user: 'limited', password: 'wrong' }));
    const failed = await failureOf(output.deliver([batchOf(ADA, 1)], 'k'));
    expect(failed.retry).toBe('permanent');
    expect(failed.message).toMatch(/AUTHORIZATION_VIOLATION/);
  });

  it('fails as permanent on a subject the user may not publish to', async () => {
    const output = open(settingsOf({ url, subject: 'denied.{mpid}', user: 'limited', password: 'secret' }));
    const failed = await failureOf(output.deliver([batchOf(ADA, 1)], 'k'));
    expect(failed.retry).toBe('permanent');
    expect(failed.message).toMatch(/PERMISSIONS_VIOLATION/);
  });
});
