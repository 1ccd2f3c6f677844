import type { LogRecord } from '../model/envelope.ts';
import type { HeldConsent } from './consent-merge.ts';
import type { SystemNotification } from './system-notifications.ts';

/**
 * What the profile stage knows of a record's consent, for the stages after it, beside the record
 * and not in it (ARCHITECTURE.md; as `model/enrichment.ts` hands computed attributes): the
 * person's consent state as of this record, and the notifications of what this record changed.
 * The connections stage puts both in the batch the delivery stream keeps, so forwarding rules
 * decide on the person's consent (mParticle applies consent per person) and outputs receive the
 * changes. The state is never changed in place (`mergeConsent` makes a new one on a change), so
 * the reference stays valid after the record has run.
 */
export interface ConsentView {
  /** The profile's consent state after this record. */
  readonly state: HeldConsent;
  /** One per purpose this record changed; empty when it changed none. */
  readonly notifications: readonly SystemNotification[];
}

const views = new WeakMap<LogRecord, ConsentView>();

/** The record, with the consent view the profile stage made for it. */
export function withConsent(record: LogRecord, view: ConsentView): LogRecord {
  views.set(record, view);
  return record;
}

/** The consent view of the record, or undefined when no profile stage ran on it. */
export function consentOf(record: LogRecord): ConsentView | undefined {
  return views.get(record);
}
