import type { Histogram } from 'prom-client';
import { ok, type Stage } from '../model/stage.ts';
import type { EventStore } from './event-store.ts';
import type { LogRecord } from '../model/envelope.ts';

export interface EventStoreStageDeps {
  store: EventStore;
  /** Observes seconds from the 202 to the event being durable in the store. */
  processingLag?: Pick<Histogram, 'observe'>;
  /** How long a flush waits to gather rows from every partition into one write. */
  gatherMs?: number;
  now?: () => number;
}

/**
 * Writes every event of a batch to the event store. Records are buffered; `flush` resolves once
 * every record buffered before the call is durable. Concurrent flushes (one per partition) share
 * one write, started `gatherMs` after the first of them, so the store sees few large appends.
 * `recover` deletes what a crash left past the committed offset, so each event is stored once.
 */
export function eventStoreStage(deps: EventStoreStageDeps): Stage {
  const now = deps.now ?? Date.now;
  const gatherMs = deps.gatherMs ?? 25;
  let buffer: LogRecord[] = [];
  /** The last write started (or about to start). */
  let last: Promise<void> = Promise.resolve();
  /** The write that will take the rows buffered now; undefined once it has taken them. */
  let next: Promise<void> | undefined;

  async function write(): Promise<void> {
    next = undefined;
    const rows = buffer;
    buffer = [];
    try {
      await deps.store.append(rows);
    } catch (error) {
      buffer = rows.concat(buffer);
      throw error;
    }
    if (deps.processingLag) {
      const t = now();
      for (const r of rows) {
        const seconds = (t - r.receivedAtMs) / 1000;
        for (let i = 0; i < r.batch.events.length; i++) deps.processingLag.observe(seconds);
      }
    }
  }

  return {
    name: 'event-store',
    run(record) {
      buffer.push(record);
      return ok(record);
    },
    flush() {
      if (next === undefined) {
        next = last
          .catch(() => undefined)
          .then(() => new Promise((r) => setTimeout(r, gatherMs)))
          .then(write);
        last = next;
      }
      return next;
    },
    async recover(partition, committedOffset) {
      await deps.store.truncateAfter(partition, committedOffset);
    },
    async reset() {
      buffer = [];
      await deps.store.clear();
    },
  };
}
