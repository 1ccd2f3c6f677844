/**
 * A handover: per partition, the last log offset a computation from history covers (later
 * records are counted live). The event store holds every record up to it once the processor
 * has committed that far on every partition.
 */
export type Handover = Readonly<Record<number, number>>;

/** Whether every partition of the handover is committed at or past it. */
export async function committedPast(handover: Handover, committed: (partition: number) => Promise<number>): Promise<boolean> {
  for (const [partition, offset] of Object.entries(handover)) {
    if ((await committed(Number(partition))) < offset) return false;
  }
  return true;
}
