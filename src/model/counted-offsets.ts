/**
 * Exactly-once counting beside the log (see ARCHITECTURE.md): a stage that keeps counts in its own
 * store writes, with each batch of counts, the last log offset of each partition they include.
 * After a crash the processor re-runs records past its committed offsets; those at or below what
 * the store holds are already counted, so the stage skips counting them (it still transforms them).
 *
 * @example
 *   if (counted.claim(record)) count(record);            // in run
 *   const offsets = counted.take();                      // in flush
 *   try { await store.write(counts, offsets); counted.saved(offsets); } catch (e) { counted.putBack(offsets); throw e; }
 */
export class CountedOffsets {
  /** Per partition, the last offset the store holds counts for. */
  private applied = new Map<number, number>();
  /** Per partition, the last offset counted since the last write. */
  private pending = new Map<number, number>();

  /** Whether `record` is not counted yet; if so it is noted as counted now, to go with the next write. */
  claim(record: { readonly partition: number; readonly offset: number }): boolean {
    if (record.offset <= (this.applied.get(record.partition) ?? 0)) return false;
    this.pending.set(record.partition, record.offset);
    return true;
  }

  /** The last offset of a partition the store holds counts for (0 before any). */
  appliedOf(partition: number): number {
    return this.applied.get(partition) ?? 0;
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** The offsets counted since the last write, to write with the counts. */
  take(): Map<number, number> {
    const taken = this.pending;
    this.pending = new Map();
    return taken;
  }

  /** The write of `offsets` failed: they go with the next one. */
  putBack(offsets: ReadonlyMap<number, number>): void {
    raise(this.pending, offsets);
  }

  /** The write of `offsets` is durable. */
  saved(offsets: ReadonlyMap<number, number>): void {
    raise(this.applied, offsets);
  }

  /** What the store holds, read at recovery. */
  load(offsets: ReadonlyMap<number, number>): void {
    this.applied = new Map(offsets);
  }

  /** Forget everything (a replay counts from the start). */
  reset(): void {
    this.applied = new Map();
    this.pending = new Map();
  }
}

function raise(into: Map<number, number>, from: ReadonlyMap<number, number>): void {
  for (const [partition, offset] of from) into.set(partition, Math.max(offset, into.get(partition) ?? 0));
}
