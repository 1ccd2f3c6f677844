import { CatalogAccumulator } from './catalog-accumulator.ts';
import type { CatalogPoint } from './catalog.ts';
import type { CatalogStore } from './catalog-store.ts';
import type { LogRecord } from '../model/envelope.ts';
import { CountedOffsets } from '../model/counted-offsets.ts';
import { ok, type Stage } from '../model/stage.ts';

export interface CatalogStageDeps {
  store: CatalogStore;
  /** The descriptions, by point key, of the events a record's input documents (its feed's contract); undefined for none. */
  descriptions?: (record: LogRecord) => ReadonlyMap<string, string> | undefined;
}

/**
 * Feeds the Catalog: `run` only counts in memory (no I/O); `flush` adds what was counted to the
 * store together with each partition's last counted offset, in one transaction. After a crash
 * between that write and the processor's commit, the processor re-reads records the store
 * already holds; `recover` loads the store's offsets and `run` skips every record at or below
 * its partition's, so each record is counted once. Writes run one at a time, and each flush waits
 * for the one before it, so no partition commits before its counts are durable; a failed write
 * is carried into the next.
 */
export function catalogStage(deps: CatalogStageDeps): Stage {
  let accumulated = new CatalogAccumulator();
  const counted = new CountedOffsets();
  /** Deltas a failed write did not save. */
  let unsaved: CatalogPoint[] = [];
  let last: Promise<void> = Promise.resolve();

  async function write(): Promise<void> {
    const deltas = unsaved.concat(accumulated.drain());
    const through = counted.take();
    unsaved = [];
    if (deltas.length === 0 && through.size === 0) return;
    try {
      await deps.store.apply(deltas, through);
    } catch (error) {
      unsaved = deltas;
      counted.putBack(through);
      throw error;
    }
    counted.saved(through);
  }

  return {
    name: 'catalog',
    run(record) {
      if (counted.claim(record)) accumulated.observe(record, deps.descriptions?.(record));
      return ok(record);
    },
    flush() {
      last = last.catch(() => undefined).then(write);
      return last;
    },
    async recover() {
      counted.load(await deps.store.appliedOffsets());
    },
    async reset() {
      await last.catch(() => undefined);
      accumulated = new CatalogAccumulator();
      counted.reset();
      unsaved = [];
      await deps.store.reset();
    },
  };
}
