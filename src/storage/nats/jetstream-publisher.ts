import { type ConnectionOptions, connect, credsAuthenticator, headers, type NatsConnection, NatsError, nanos } from 'nats';
import { DeliveryFailed } from '../../connections/output.ts';
import type { JetStreamMessage, JetStreamPublisher, JetStreamTarget, PubAck } from '../../connections/kinds/nats-publisher.ts';
import { natsFailure } from './nats-errors.ts';

/** JetStream's "stream not found" (`err_code`), which `ensureStream` answers by creating it. */
const STREAM_NOT_FOUND = 10059;
/** "stream name already in use": another output created it between our look-up and our add. */
const STREAM_NAME_IN_USE = 10058;

function optionsOf(target: JetStreamTarget): ConnectionOptions {
  return {
    servers: target.servers.split(',').map((s) => s.trim()),
    name: 'quanta',
    timeout: target.timeoutMs,
    reconnect: true,
    maxReconnectAttempts: -1,
    ...(target.token !== undefined ? { token: target.token } : {}),
    ...(target.user !== undefined ? { user: target.user, pass: target.password ?? '' } : {}),
    ...(target.credentials !== undefined ? { authenticator: credsAuthenticator(new TextEncoder().encode(target.credentials)) } : {}),
  };
}

/**
 * The `nats` client behind the `nats` output's port: one connection, opened at the first call
 * (so an output opens without a server, and its first delivery says why it cannot reach it),
 * reconnecting by itself while it is up; once the client gives up (it closes), the next call
 * connects again. Every failure leaves as a classified `DeliveryFailed` (`nats-errors.ts`).
 *
 * @example
 * const p = new NatsJetStreamPublisher({ servers: 'nats://127.0.0.1:4222', timeoutMs: 5000 });
 * await p.ensureStream('QUANTA', ['quanta.*.*'], 3_600_000);
 * await p.publish({ subject: 'quanta.1.42', data, msgId: 'c7-10-12-0', headers: {} });
 * await p.close();
 */
export class NatsJetStreamPublisher implements JetStreamPublisher {
  private connection: Promise<NatsConnection> | undefined;
  private closed = false;

  constructor(private readonly target: JetStreamTarget) {}

  async ensureStream(name: string, subjects: readonly string[], duplicateWindowMs: number): Promise<void> {
    const nc = await this.connected();
    try {
      const jsm = await nc.jetstreamManager({ timeout: this.target.timeoutMs });
      try {
        await jsm.streams.info(name);
        return;
      } catch (error) {
        if (!(error instanceof NatsError) || error.jsError()?.err_code !== STREAM_NOT_FOUND) throw error;
      }
      try {
        await jsm.streams.add({ name, subjects: [...subjects], duplicate_window: nanos(duplicateWindowMs) });
      } catch (error) {
        if (!(error instanceof NatsError) || error.jsError()?.err_code !== STREAM_NAME_IN_USE) throw error;
      }
    } catch (error) {
      throw natsFailure(error, `NATS stream ${name} could not be looked up or created`);
    }
  }

  async publish(message: JetStreamMessage): Promise<PubAck> {
    const nc = await this.connected();
    const h = headers();
    for (const [key, value] of Object.entries(message.headers)) h.set(key, value);
    try {
      const ack = await nc.jetstream({ timeout: this.target.timeoutMs }).publish(message.subject, message.data, {
        msgID: message.msgId,
        headers: h,
        timeout: this.target.timeoutMs,
        ...(message.expectStream !== undefined ? { expect: { streamName: message.expectStream } } : {}),
      });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      throw natsFailure(error, `NATS did not store the message to ${message.subject}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    const nc = await connection?.catch(() => undefined);
    if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
  }

  private connected(): Promise<NatsConnection> {
    if (this.closed) return Promise.reject(new DeliveryFailed('the NATS output is closed', 'retry'));
    if (this.connection) return this.connection;
    const opening = connect(optionsOf(this.target)).then(
      (nc) => {
        void nc.closed().then(() => {
          if (this.connection === opening) this.connection = undefined;
        });
        return nc;
      },
      (error: unknown) => {
        if (this.connection === opening) this.connection = undefined;
        throw natsFailure(error, `NATS at ${this.target.servers} could not be reached`);
      },
    );
    this.connection = opening;
    return opening;
  }
}
