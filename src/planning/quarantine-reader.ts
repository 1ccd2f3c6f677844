import { eventIdOf } from '../analytics/event-row.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { Batch } from '../model/batch.ts';
import type { BlockedBatch, BlockedQuery, DataQualityStore } from './quality-store.ts';
import { quarantineBatch } from './quarantine.ts';

/** The batch at a position of the event log, undefined when there is none. */
export type LogBatchReader = (partition: number, offset: number) => Promise<Batch | undefined>;

/** A quarantined batch with its document: the batch as received, with its block metadata. */
export interface QuarantinedBatch extends BlockedBatch {
  batch: Batch;
}

/**
 * Reads the quarantine as mParticle's quarantine output shows it: the store keeps what was
 * blocked and where the batch is in the event log; the batch itself is read back from the log.
 */
export class QuarantineReader {
  constructor(
    private readonly store: DataQualityStore,
    private readonly readBatch: LogBatchReader,
  ) {}

  async list(ws: WorkspaceId, query: BlockedQuery, limit: number): Promise<QuarantinedBatch[]> {
    const rows = await this.store.blocked(ws, query, limit);
    return Promise.all(
      rows.map(async (b) => {
        const original = await this.readBatch(b.partition, b.offset);
        if (!original) throw new Error(`the quarantined batch at log partition ${b.partition}, offset ${b.offset} is missing from the event log`);
        const batch = quarantineBatch(original, { planId: b.planId, version: b.version }, b.metadata, (i) => eventIdOf(b.offset, i).toString());
        return { ...b, batch };
      }),
    );
  }
}
