import { type BatchEvent, screenNameOf } from '../model/batch.ts';
import { editsOf, type LogRecord } from '../model/envelope.ts';
import type { StoredEvent } from './event-store.ts';

/** Room for this many events per batch in an event id: `offset * 2^16 + index`. */
const EVENTS_PER_BATCH = 65_536n;

/** The event id Quanta assigns: unique, stable across replays, ordered like the log. */
export function eventIdOf(offset: number, index: number): bigint {
  return BigInt(offset) * EVENTS_PER_BATCH + BigInt(index);
}

/** The name analytics groups an event by: its event name, screen name or commerce action. */
export function eventNameOf(event: BatchEvent): string | null {
  const d = event.data;
  switch (event.event_type) {
    case 'custom_event':
      return typeof d.event_name === 'string' ? d.event_name : null;
    case 'screen_view':
      return screenNameOf(d);
    case 'commerce_event': {
      if (d.event_name) return d.event_name;
      const action = (d.product_action as { action?: string } | null | undefined)?.action;
      if (action) return action;
      const promo = (d.promotion_action as { action?: string } | null | undefined)?.action;
      if (promo) return `promotion_${promo}`;
      return d.product_impressions ? 'impression' : null;
    }
    default:
      return null;
  }
}

/** The per-event columns derived from an event and its batch (not copied as JSON). */
export interface DerivedColumns {
  eventName: string | null;
  customEventType: string | null;
  timestampMs: number;
  sessionUuid: string | null;
  sourceMessageId: string | null;
}

export function derivedColumnsOf(record: LogRecord, event: BatchEvent): DerivedColumns {
  return {
    eventName: eventNameOf(event),
    customEventType: event.event_type === 'custom_event' ? (event.data.custom_event_type ?? null) : null,
    timestampMs: event.data.timestamp_unixtime_ms ?? record.batch.timestamp_unixtime_ms ?? record.receivedAtMs,
    sessionUuid: event.data.session_uuid ?? null,
    sourceMessageId: event.data.source_message_id ?? null,
  };
}

/** The platform of a batch: its device's, else its application's OS. */
export function platformOf(record: LogRecord): string | null {
  const { batch } = record;
  return (batch.device_info?.platform as string | undefined) ?? (batch.application_info?.os as string | undefined) ?? null;
}

/** The event store rows for one log record, one per event. */
export function storedEventsOf(record: LogRecord): StoredEvent[] {
  const { batch } = record;
  const platform = platformOf(record);
  // An event keeps its index in the logged batch when a stage removed events before it.
  const logged = editsOf(record)?.edits.eventIndex;
  return batch.events.map((event, j) => {
    const index = logged?.[j] ?? j;
    return {
      eventId: eventIdOf(record.offset, index),
      workspaceId: record.workspaceId,
      inputId: record.inputId,
      partition: record.partition,
      logOffset: record.offset,
      eventIndex: index,
      mpid: record.mpid,
      environment: batch.environment,
      eventType: event.event_type,
      ...derivedColumnsOf(record, event),
      receivedAtMs: record.receivedAtMs,
      sourceRequestId: batch.source_request_id ?? null,
      platform,
      data: event.data,
      userAttributes: batch.user_attributes,
      userIdentities: batch.user_identities,
      deviceInfo: batch.device_info ?? null,
      applicationInfo: batch.application_info ?? null,
      aliasedFrom: null,
      violations: event.violations ?? null,
    };
  });
}
