import type { Logger } from 'pino';
import type { RetryPolicy } from './backoff.ts';
import type { ConnectionRecord } from './connection-store.ts';
import type { ChunkDone, DeadLetterAppend, DeliveryCounts, DeliveryStore } from './delivery-store.ts';
import type { Output } from './output.ts';
import { DeliveryLoop, Stopped } from './delivery-loop.ts';
import type { DeliveryEvents } from './retrier.ts';
import type { StreamBatch } from './stream-batch.ts';

/** What a connection does to each batch before its output sees it: the same object when nothing; null, not forwarded. */
export type Forward = (b: StreamBatch) => StreamBatch | null | Promise<StreamBatch | null>;

export interface DeliveryOptions {
  readonly chunkSize: number;
  /** Requests of different users in flight at once. */
  readonly concurrency: number;
  /** How often an idle connection looks for new batches. */
  readonly idleMs: number;
  readonly retry: RetryPolicy;
}

interface Request {
  readonly batches: StreamBatch[];
  readonly key: string;
}

/**
 * One connection's delivery loop (see ARCHITECTURE.md): it reads chunks of its workspace's
 * stream after its cursor, claims each, delivers it (users in parallel, each user's batches in
 * order), and commits the cursor with the chunk's counts and dead letters.
 */
export class ConnectionDelivery extends DeliveryLoop {
  /** Where the cursor is, as last read or committed; undefined until read (and after a failure). */
  private cursor: { committed: number; claimed: number } | undefined;

  constructor(
    connection: ConnectionRecord,
    private readonly deps: {
      store: DeliveryStore;
      output: Output;
      forward: Forward;
      /**
       * Whether a batch's user was erased since the stream gave it: a chunk in hand (in a request
       * waiting for its turn or its retry) loses the user's batches before each try, and no dead
       * letter keeps them.
       */
      erased: (b: StreamBatch) => boolean;
      options: DeliveryOptions;
      events: DeliveryEvents;
      logger: Logger;
      /** Where a new connection's cursor starts. */
      startSeq: () => Promise<number>;
    },
  ) {
    super(connection, { output: deps.output, retry: deps.options.retry, events: deps.events, logger: deps.logger, idleMs: deps.options.idleMs });
  }

  protected override recover(): void {
    this.cursor = undefined;
  }

  protected async step(): Promise<boolean> {
    const { store } = this.deps;
    const id = this.connection.id;
    if (!this.cursor) {
      const { committed, claimed } = await store.cursor(id, await this.deps.startSeq());
      this.cursor = { committed, claimed };
    }
    const cursor = this.cursor;
    const rows = await this.readChunk(cursor.committed, cursor.claimed);
    if (rows.length === 0) return false;
    const end = cursor.claimed > cursor.committed ? cursor.claimed : rows[rows.length - 1]!.seq;
    if (end !== cursor.claimed) await store.claim(id, end);
    cursor.claimed = end;
    const done = await this.deliverChunk(rows, end);
    await store.commit(id, done);
    cursor.committed = end;
    return true;
  }

  /** The next chunk: after a crash, exactly the claimed one, so its requests keep their keys. */
  private async readChunk(committed: number, claimed: number): Promise<StreamBatch[]> {
    const { store, options } = this.deps;
    const ws = this.connection.workspaceId;
    if (claimed <= committed) return store.read(ws, committed, options.chunkSize);
    const rows: StreamBatch[] = [];
    for (let after = committed; ; ) {
      const more = await store.read(ws, after, options.chunkSize);
      for (const r of more) if (r.seq <= claimed) rows.push(r);
      if (more.length < options.chunkSize || more[more.length - 1]!.seq >= claimed) return rows;
      after = more[more.length - 1]!.seq;
    }
  }

  private async deliverChunk(rows: readonly StreamBatch[], end: number): Promise<ChunkDone> {
    const counts: DeliveryCounts = { sent: 0, filtered: 0, failed: 0, retried: 0, dead_lettered: 0 };
    const deadLetters: DeadLetterAppend[] = [];
    let lastError: ChunkDone['lastError'] = null;
    const kept: StreamBatch[] = [];
    for (const row of rows) {
      const forwarded = await this.deps.forward(row);
      const selected = forwarded && (this.deps.output.select ? this.deps.output.select(forwarded) : forwarded);
      if (selected) kept.push(selected);
      else counts.filtered += 1;
    }
    const requests = this.group(kept);
    // Each user's requests one after another; different users' side by side, a few at a time.
    const lastOfUser = new Map<string, Promise<void>>();
    const slots = new Slots(this.deps.options.concurrency);
    const all: Promise<void>[] = [];
    for (const request of requests) {
      const users = [...new Set(request.batches.map((b) => b.mpid))];
      const before = users.map((u) => lastOfUser.get(u)).filter((p) => p !== undefined);
      const run = Promise.all(before).then(() =>
        slots.run(async () => {
          const live = () => request.batches.filter((b) => !this.deps.erased(b));
          const undelivered = await this.retrier.send(
            request.batches.length,
            async () => {
              const batches = live();
              if (batches.length > 0) await this.deps.output.deliver(batches, request.key);
            },
            counts,
          );
          if (!undelivered) return;
          lastError = { atMs: Date.now(), message: undelivered.message };
          const batches = live();
          if (undelivered.gaveUp && batches.length > 0) {
            deadLetters.push({ key: request.key, batches, changes: [], error: undelivered.message, attempts: undelivered.attempts, createdAtMs: Date.now() });
          }
        }),
      );
      for (const u of users) lastOfUser.set(u, run);
      all.push(run);
    }
    await Promise.all(all);
    if (this.stopping.signal.aborted && all.length > 0 && counts.sent + counts.dead_lettered < kept.length) throw new Stopped();
    return { workspaceId: this.connection.workspaceId, end, counts, lastError, deadLetters };
  }

  /** Consecutive batches up to the output's `maxBatches` per request; keys from the batches' seqs. */
  private group(batches: readonly StreamBatch[]): Request[] {
    const max = Math.max(1, this.deps.output.maxBatches);
    const requests: Request[] = [];
    for (let i = 0; i < batches.length; i += max) {
      const part = batches.slice(i, i + max);
      requests.push({ batches: part, key: `${this.connection.id}-${part[0]!.seq}-${part[part.length - 1]!.seq}` });
    }
    return requests;
  }
}

/** At most `size` tasks at once. */
export class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running < this.size) this.running += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // a finishing task hands its slot over
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
