import { CatalogAccumulator } from '../catalog/catalog-accumulator.ts';
import type { CatalogPoint } from '../catalog/catalog.ts';
import type { CatalogStore } from '../catalog/catalog-store.ts';
import { ok, type Stage } from './stage.ts';

export interface CatalogStageDeps {
  store: CatalogStore;
}

const addOffsets = (into: Map<number, number>, from: ReadonlyMap<number, number>) => {
  for (const [partition, offset] of from) into.set(partition, Math.max(offset, into.get(partition) ?? 0));
};

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
  let counted = new CatalogAccumulator();
  /** Per partition, the last offset the store had counted at recovery: records up to it are skipped. */
  const applied = new Map<number, number>();
  /** Per partition, the last offset counted since the last write. */
  let offsets = new Map<number, number>();
  /** What a failed write did not save. */
  let unsaved: { deltas: CatalogPoint[]; offsets: Map<number, number> } = { deltas: [], offsets: new Map() };
  let last: Promise<void> = Promise.resolve();

  async function write(): Promise<void> {
    const deltas = unsaved.deltas.concat(counted.drain());
    const through = unsaved.offsets;
    addOffsets(through, offsets);
    offsets = new Map();
    unsaved = { deltas: [], offsets: new Map() };
    if (deltas.length === 0 && through.size === 0) return;
    try {
      await deps.store.apply(deltas, through);
    } catch (error) {
      unsaved = { deltas, offsets: through };
      throw error;
    }
  }

  return {
    name: 'catalog',
    run(record) {
      if (record.offset > (applied.get(record.partition) ?? 0)) {
        counted.observe(record);
        offsets.set(record.partition, record.offset);
      }
      return ok(record);
    },
    flush() {
      last = last.catch(() => undefined).then(write);
      return last;
    },
    async recover(partition) {
      const stored = (await deps.store.appliedOffsets()).get(partition);
      if (stored === undefined) applied.delete(partition);
      else applied.set(partition, stored);
    },
    async reset() {
      await last.catch(() => undefined);
      counted = new CatalogAccumulator();
      applied.clear();
      offsets = new Map();
      unsaved = { deltas: [], offsets: new Map() };
      await deps.store.reset();
    },
  };
}
