/** Where and as whom a `nats` output connects: its settings, for the adapter in `storage/nats/`. */
export interface JetStreamTarget {
  /** One server URL or several, comma-separated (`nats://a:4222,nats://b:4222`). */
  readonly servers: string;
  readonly token?: string;
  readonly user?: string;
  readonly password?: string;
  /** A `.creds` file's text (a user JWT and its NKey seed). */
  readonly credentials?: string;
  /** How long a connection attempt, a stream look-up or a publish's acknowledgement may take. */
  readonly timeoutMs: number;
}

/** One message published to JetStream. */
export interface JetStreamMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** `Nats-Msg-Id`: JetStream drops a message whose id it has seen within the stream's duplicate window. */
  readonly msgId: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The stream that must store it (`Nats-Expected-Stream`): another stream taking the subject is an error, not a silent success. */
  readonly expectStream?: string;
}

/** JetStream's answer to a publish: where the message is, and whether it was a duplicate it dropped. */
export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

/**
 * The `nats` output's port to JetStream: publish a message and wait for its acknowledgement, make
 * sure a stream exists. The adapter (`storage/nats/jetstream-publisher.ts`) connects lazily and
 * reconnects, and throws `DeliveryFailed` classified (a timeout or a lost connection `retry`; a
 * permission, a subject or a payload the server refuses `permanent`).
 *
 * @example
 * const ack = await publisher.publish({ subject: 'quanta.1.42', data, msgId: 'c7-10-12-0', headers: {} });
 * if (ack.duplicate) ... // stored before: a retry of a publish whose acknowledgement was lost
 */
export interface JetStreamPublisher {
  /** Creates the stream with these subjects when no stream has its name; a stream that exists is used as it is. */
  ensureStream(name: string, subjects: readonly string[], duplicateWindowMs: number): Promise<void>;
  publish(message: JetStreamMessage): Promise<PubAck>;
  /** Drains the connection: what was published is flushed first. */
  close(): Promise<void>;
}
