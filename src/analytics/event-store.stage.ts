import type { Histogram } from 'prom-client';
import { ok, type Stage } from '../pipeline/stage.ts';
import { storedEventsOf } from './event-row.ts';
import type { EventStore, StoredEvent } from './event-store.ts';

export interface EventStoreStageDeps {
  store: EventStore;
  /** Observes seconds from the 202 to the event being durable in the store. */
  processingLag?: Pick<Histogram, 'observe'>;
  now?: () => number;
}

/**
 * Writes every event of a batch to the event store. Rows are buffered and written in `flush`,
 * which the processor awaits before committing, and `recover` deletes what a crash left past
 * the committed offset, so each event is stored exactly once.
 */
export function eventStoreStage(deps: EventStoreStageDeps): Stage {
  const now = deps.now ?? Date.now;
  let buffer: StoredEvent[] = [];
  let writing: Promise<void> = Promise.resolve();
  return {
    name: 'event-store',
    run(record) {
      for (const row of storedEventsOf(record)) buffer.push(row);
      return ok(record);
    },
    flush() {
      const rows = buffer;
      buffer = [];
      writing = writing.catch(() => undefined).then(async () => {
        try {
          await deps.store.append(rows);
        } catch (error) {
          buffer = rows.concat(buffer);
          throw error;
        }
        if (deps.processingLag) {
          const t = now();
          for (const r of rows) deps.processingLag.observe((t - r.receivedAtMs) / 1000);
        }
      });
      return writing;
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
