import { consentOf } from '../consent/consent-view.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import { computedAttributesOf, userAttributesOf } from '../model/enrichment.ts';
import type { LogRecord } from '../model/envelope.ts';
import { ok, type Stage } from '../model/stage.ts';
import type { DeliveryStore, StreamAppend } from './delivery-store.ts';

/**
 * The batch as outputs get it, as JSON: as the stages before left it, with its MPID, and the
 * calculated attributes computed for it merged over its user attributes (they are a view valid
 * only while the record runs, so they are copied now). Its `consent_state` is the person's (the
 * profile's as of this batch), so forwarding rules and outputs see the consent mParticle applies
 * per person, with `system_notifications` for the consent this batch changed
 * (`consent/consent-view.ts`). Serialised once here, so that a connection that sends it unchanged
 * sends this text as it is.
 */
function batchJsonOf(record: LogRecord): string {
  const consent = consentOf(record);
  const batch = computedAttributesOf(record) === undefined ? record.batch : { ...record.batch, user_attributes: userAttributesOf(record) };
  const notified = consent && consent.notifications.length > 0 ? { system_notifications: consent.notifications } : {};
  // A person with no consent recorded keeps the batch as it came (no empty state added to every batch).
  const person = consent && hasAny(consent.state) ? { consent_state: consent.state } : {};
  return stringifyLossless({ ...batch, ...person, ...notified, mpid: record.mpid });
}

const hasAny = (state: { gdpr: object; ccpa: object }) => {
  for (const regulation of [state.gdpr, state.ccpa]) for (const _ in regulation) return true;
  return false;
};

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
        inputId: record.inputId,
        mpid: record.mpid,
        receivedAtMs: record.receivedAtMs,
        logPartition: record.partition,
        logOffset: record.offset,
        batch: batchJsonOf(record),
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
