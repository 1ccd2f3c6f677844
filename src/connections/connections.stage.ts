import { computedAttributesOf, userAttributesOf } from '../model/enrichment.ts';
import { envelopeJson, type LogRecord } from '../model/envelope.ts';
import { ok, type Stage } from '../model/stage.ts';
import type { DeliveryStore, StreamAppend } from './delivery-store.ts';

/**
 * The batch as outputs get it: as the stages before left it, with the calculated attributes
 * computed for it merged over its user attributes (they are a view valid only while the record
 * runs, so they are copied now).
 */
function envelopeOf(record: LogRecord): string {
  if (computedAttributesOf(record) === undefined) return envelopeJson(record);
  const { partition: _p, offset: _o, ...envelope } = record;
  return JSON.stringify({ ...envelope, batch: { ...record.batch, user_attributes: userAttributesOf(record) } });
}

/**
 * Hands every processed batch to the delivery stream (see ARCHITECTURE.md): `run` keeps the
 * batch's envelope in memory, `flush` appends what it kept in one transaction, before the
 * processor commits the offsets. A record run again after a crash is appended again, and the
 * stream skips a log place it holds, so each batch is in the stream once. A failed append is kept
 * and tried with the next flush (the processor then does not commit).
 */
export function connectionsStage(deps: { store: DeliveryStore }): Stage {
  let kept: StreamAppend[] = [];
  let last: Promise<void> = Promise.resolve();

  async function write(): Promise<void> {
    const rows = kept;
    kept = [];
    if (rows.length === 0) return;
    try {
      await deps.store.append(rows);
    } catch (error) {
      kept = rows.concat(kept);
      throw error;
    }
  }

  return {
    name: 'connections',
    run(record) {
      kept.push({
        workspaceId: record.workspaceId,
        mpid: record.mpid,
        receivedAtMs: record.receivedAtMs,
        logPartition: record.partition,
        logOffset: record.offset,
        envelope: envelopeOf(record),
      });
      return ok(record);
    },
    flush() {
      last = last.catch(() => undefined).then(write);
      return last;
    },
    // The stream outlives a replay: its batches were delivered, and the same log places are skipped.
    async reset() {
      await last.catch(() => undefined);
      kept = [];
    },
  };
}
