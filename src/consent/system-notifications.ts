import type { Batch, BatchEvent } from '../model/batch.ts';
import type { ConsentChange } from './consent-merge.ts';
import type { PurposeConsent } from './consent-state.ts';

/**
 * How consent changes reach outputs (the data privacy controls guide, "forwarding consent state
 * to partners"): a `system_notifications` entry per changed purpose on the batch that changed it,
 * with the full old and new consent; outputs of raw batches send them as they are, others send
 * them as "Consent Given" / "Consent Rejected" custom events ({@link consentEvents}).
 */

/** A consent as a notification carries it: with its regulation, upper case as mParticle writes it. */
export interface NotifiedConsent extends PurposeConsent {
  readonly regulation: 'GDPR' | 'CCPA';
}

/** One `system_notifications` entry: a consent change. `old` is absent when the purpose had no consent before. */
export interface SystemNotification {
  readonly type: 'gdpr_change' | 'ccpa_change';
  readonly data: { readonly purpose: string; readonly current: NotifiedConsent; readonly old?: NotifiedConsent };
}

const notified = (regulation: ConsentChange['regulation'], consent: PurposeConsent): NotifiedConsent => ({
  regulation: regulation === 'gdpr' ? 'GDPR' : 'CCPA',
  document: consent.document,
  consented: consent.consented,
  timestamp_unixtime_ms: consent.timestamp_unixtime_ms,
  location: consent.location,
  hardware_id: consent.hardware_id,
});

/** The notifications of a batch's consent changes, in the order they were made. */
export function notificationsOf(changes: readonly ConsentChange[]): SystemNotification[] {
  return changes.map((c) => ({
    type: c.regulation === 'gdpr' ? 'gdpr_change' : 'ccpa_change',
    data: { purpose: c.purpose, current: notified(c.regulation, c.current), ...(c.old ? { old: notified(c.regulation, c.old) } : {}) },
  }));
}

const isNotification = (v: unknown): v is SystemNotification => {
  if (typeof v !== 'object' || v === null) return false;
  const n = v as { type?: unknown; data?: { purpose?: unknown; current?: { consented?: unknown } } };
  return (n.type === 'gdpr_change' || n.type === 'ccpa_change') && typeof n.data?.purpose === 'string' && typeof n.data.current?.consented === 'boolean';
};

/** The consent notifications a batch of the delivery stream carries (none when it has none). */
export function systemNotificationsOf(batch: Batch): SystemNotification[] {
  const raw = batch.system_notifications;
  return Array.isArray(raw) ? raw.filter(isNotification) : [];
}

/**
 * The batch's consent changes as the custom events the guide shows ("Consent Given" or "Consent
 * Rejected", custom event type `Consent`, the new consent as custom attributes with `consented` as
 * text), timed at the new consent's timestamp. `custom_event_type` is mParticle's `Consent`,
 * outside the Events API's own list: these events are made for outputs, never ingested.
 *
 * @example
 *   const events = [...batch.events, ...consentEvents(batch)];
 */
export function consentEvents(batch: Batch): BatchEvent[] {
  return systemNotificationsOf(batch).map(({ data }) => {
    const c = data.current;
    const attributes: Record<string, string | number> = { consented: String(c.consented), purpose: data.purpose, regulation: c.regulation, timestamp_unixtime_ms: c.timestamp_unixtime_ms };
    for (const key of ['document', 'location', 'hardware_id'] as const) {
      const value = c[key];
      if (typeof value === 'string') attributes[key] = value;
    }
    const event: BatchEvent = {
      event_type: 'custom_event',
      data: { event_name: c.consented ? 'Consent Given' : 'Consent Rejected', custom_event_type: 'Consent', custom_attributes: attributes, timestamp_unixtime_ms: c.timestamp_unixtime_ms },
    };
    return event;
  });
}
