import { stringifyLossless } from '../../kernel/lossless-json.ts';
import type { Batch } from '../../model/batch.ts';
import { IDEMPOTENCY_HEADER } from '../http-send.ts';
import type { OutputKind, SettingSpec, Settings } from '../output.ts';
import type { Parsed, Problem } from '../stream-batch.ts';
import type { JetStreamPublisher, JetStreamTarget } from './nats-publisher.ts';
import { parseSubject, streamNameProblem } from './nats-subject.ts';

const SETTINGS: readonly SettingSpec[] = [
  { name: 'url', type: 'string', is_required: true, description: 'The NATS server to connect to, e.g. nats://127.0.0.1:4222 (several, comma-separated, for a cluster; tls:// for TLS).' },
  {
    name: 'subject',
    type: 'string',
    is_required: true,
    description: 'The subject each batch is published to; it may hold {mpid}, {workspace_id}, {input_id} and {environment}, e.g. quanta.{workspace_id}.batches.{mpid}.',
  },
  {
    name: 'stream',
    type: 'string',
    is_required: false,
    description: 'The JetStream stream that stores the batches; created, when no stream has this name, with the subject\'s placeholders as * wildcards. When not set, a stream must already take the subject.',
  },
  {
    name: 'duplicate_window_seconds',
    type: 'int',
    is_required: false,
    default: 3600,
    description: 'The duplicate window of a stream Quanta creates: a batch delivered again within it (a retry) is stored once.',
  },
  { name: 'token', type: 'string', is_required: false, is_confidential: true, description: 'The token to connect with, when the server wants one.' },
  { name: 'user', type: 'string', is_required: false, description: 'The user to connect as, with password.' },
  { name: 'password', type: 'string', is_required: false, is_confidential: true, description: 'The user\'s password.' },
  { name: 'credentials', type: 'string', is_required: false, is_confidential: true, description: 'The text of a .creds file (a user JWT and its NKey seed), for servers with decentralized authentication.' },
];

const text = (settings: Settings, name: string) => (typeof settings[name] === 'string' ? (settings[name] as string) : undefined);

/** What `parseSettings` cannot see alone: the URL's scheme, the subject's tokens and placeholders, the stream's name, one way to authenticate. */
function check(settings: Settings): Parsed<Settings> {
  const problems: Problem[] = [];
  for (const server of (text(settings, 'url') ?? '').split(',').map((s) => s.trim())) {
    let url: URL | undefined;
    try {
      url = new URL(server);
    } catch {
      url = undefined;
    }
    if (url?.protocol !== 'nats:' && url?.protocol !== 'tls:') problems.push(`settings.url: "${server}" is not a NATS URL; send nats://host:port (or tls://host:port)`);
  }
  const subject = parseSubject(text(settings, 'subject') ?? '');
  if (!subject.ok) problems.push(...subject.problems);
  const stream = text(settings, 'stream');
  const streamProblem = stream === undefined ? undefined : streamNameProblem(stream);
  if (streamProblem) problems.push(streamProblem);
  if ((settings.duplicate_window_seconds as number) < 1) problems.push('settings.duplicate_window_seconds: must be at least 1');
  const user = text(settings, 'user') !== undefined;
  if (user !== (text(settings, 'password') !== undefined)) problems.push('settings.user: user and password go together; send both or neither');
  const ways = [text(settings, 'token') !== undefined, user, text(settings, 'credentials') !== undefined].filter(Boolean).length;
  if (ways > 1) problems.push('settings.token: send one way to authenticate: token, user and password, or credentials');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: settings };
}

function targetOf(settings: Settings, timeoutMs: number): JetStreamTarget {
  const auth: Record<string, string> = {};
  for (const name of ['token', 'user', 'password', 'credentials'] as const) {
    const value = text(settings, name);
    if (value !== undefined) auth[name] = value;
  }
  return { servers: text(settings, 'url') ?? '', timeoutMs, ...auth };
}

/** How many batches one delivery publishes: one message each, one after another. */
const MAX_BATCHES = 100;

const encoder = new TextEncoder();

/**
 * The `nats` kind over any {@link JetStreamPublisher} (the `nats` client's adapter in Quanta; the
 * tests use the same one against a real server). Each batch is one message, mParticle's JSON batch
 * with its exact `mpid`, published to its resolved subject; a delivery's batches are published one
 * after another, each awaited until JetStream has stored it, so one user's batches are stored in
 * their order. Message `i` of a delivery with key `k` has the id `k-i` (`Nats-Msg-Id` and
 * `X-Quanta-Idempotency-Key`): a retry, or a delivery repeated after a crash, publishes the same
 * ids, and JetStream drops those it has stored within the stream's duplicate window.
 */
export function natsKind(publisherOf: (target: JetStreamTarget) => JetStreamPublisher): OutputKind {
  return {
    name: 'nats',
    description: 'Publishes your batches to a NATS JetStream stream, one message per batch in mParticle\'s JSON batch format, each user\'s in order.',
    settings: SETTINGS,
    check,
    open(settings, options) {
      const subject = parseSubject(text(settings, 'subject') ?? '');
      if (!subject.ok) throw new Error(`the nats output's settings were not checked: ${subject.problems.join('; ')}`);
      const stream = text(settings, 'stream');
      const windowMs = ((settings.duplicate_window_seconds as number | undefined) ?? 3600) * 1000;
      const publisher = publisherOf(targetOf(settings, options.timeoutMs));
      let streamReady: Promise<void> | undefined;
      const ensureStream = () =>
        (streamReady ??= publisher.ensureStream(stream!, [subject.value.pattern], windowMs).catch((error: unknown) => {
          streamReady = undefined;
          throw error;
        }));
      return {
        maxBatches: MAX_BATCHES,
        async deliver(batches, key) {
          if (stream !== undefined) await ensureStream();
          for (const [i, b] of batches.entries()) {
            const msgId = `${key}-${i}`;
            const batch: Batch = { ...b.batch, mpid: b.mpid };
            await publisher.publish({
              subject: subject.value.resolve(b),
              data: encoder.encode(stringifyLossless(batch)),
              msgId,
              headers: { [IDEMPOTENCY_HEADER]: msgId, 'Content-Type': 'application/json' },
              ...(stream !== undefined ? { expectStream: stream } : {}),
            });
          }
        },
        close: () => publisher.close(),
      };
    },
  };
}

