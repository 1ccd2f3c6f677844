import { eventNameOf } from '../../analytics/event-row.ts';
import type { BatchEvent, EventData } from '../../model/batch.ts';
import type { StreamBatch } from '../stream-batch.ts';
import { eventTimeMs } from './partners/event-time.ts';

type Json = Record<string, unknown>;

/** One event as the warehouse loads it: a row of `events`, before its attributes are given typed columns. */
export interface WarehouseEvent {
  readonly workspaceId: number;
  /** Unique per workspace, the same on every redelivery: the event's `source_message_id`, else `<mpid>-<seq>-<index>`. */
  readonly eventId: string;
  readonly mpid: string;
  readonly inputId: number;
  readonly batchSeq: number;
  readonly eventIndex: number;
  readonly eventType: string;
  readonly eventName: string | null;
  readonly customEventType: string | null;
  readonly timestampMs: number;
  readonly receivedAtMs: number;
  readonly environment: string;
  readonly sessionUuid: string | null;
  readonly sessionId: string | null;
  readonly sourceMessageId: string | null;
  readonly sourceRequestId: string | null;
  readonly platform: string | null;
  readonly osVersion: string | null;
  readonly deviceModel: string | null;
  readonly appVersion: string | null;
  readonly sdkVersion: string | null;
  readonly ip: string | null;
  readonly productAction: string | null;
  readonly totalAmount: number | null;
  readonly customAttributes: Json;
  readonly userAttributes: Json;
  readonly userIdentities: Json;
  readonly deviceInfo: Json | null;
  readonly applicationInfo: Json | null;
  /** The event's `data` without what has a column of its own. */
  readonly data: Json;
}

/** One user's state after the load's batches, merged in their order: a row of `users`. */
export interface WarehouseUser {
  readonly workspaceId: number;
  readonly mpid: string;
  /** Set over what the warehouse holds, after {@link removedIdentities} are removed from it. */
  readonly identities: Json;
  /** Identities the batches sent as null (removed) and did not set again. */
  readonly removedIdentities: readonly string[];
  /** Set over what the warehouse holds, after {@link deletedAttributes} are removed from it. */
  readonly attributes: Json;
  /** Attributes the batches deleted (`deleted_user_attributes`) and did not set again. */
  readonly deletedAttributes: readonly string[];
  readonly firstSeenMs: number;
  /** The last batch's receive time: an older redelivery never overwrites a newer state. */
  readonly lastSeenMs: number;
}

/** What one delivery loads, in one transaction. */
export interface WarehouseLoad {
  readonly events: readonly WarehouseEvent[];
  readonly users: readonly WarehouseUser[];
}

/** What a load did. */
export interface LoadResult {
  /** Events written; the others were there already (a redelivery). */
  readonly loaded: number;
  readonly duplicates: number;
  /** Attribute values of the loaded events that did not fit their column's type. */
  readonly conflicts: number;
  /** Attribute columns this load added. */
  readonly newColumns: number;
}

/** Values of one attribute that did not fit its column, of one type, as the `type_conflicts` table keeps them. */
export interface TypeConflict {
  readonly column: string;
  readonly attribute: string;
  readonly columnType: string;
  readonly valueType: string;
  /** The last such value, cut to 200 characters. */
  readonly sample: string;
  readonly conflicts: number;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

/** The warehouse a `postgres` output loads (the port its storage adapter serves). */
/** A schema name the warehouse takes: a plain PostgreSQL identifier, not one of its own `pg_` schemas. */
export const IDENTIFIER = /^(?!pg_)[a-z_][a-z0-9_]{0,62}$/;

/** Where a warehouse loads. */
export interface WarehouseTarget {
  readonly connectionString: string;
  /** Created if absent; checked against {@link IDENTIFIER}. */
  readonly schema: string;
  /** Connect and statement timeout. */
  readonly timeoutMs: number;
}

export interface Warehouse {
  /** Loads the rows in one transaction: every event once (by its id), every user upserted; throws `DeliveryFailed` (classified) when the engine fails. */
  load(rows: WarehouseLoad): Promise<LoadResult>;
  /** Every type conflict recorded in the schema, by any writer, the most recent first. */
  conflicts(): Promise<TypeConflict[]>;
  close(): Promise<void>;
}

/** The `data` fields that have columns of their own. */
const COLUMN_FIELDS = new Set(['timestamp_unixtime_ms', 'source_message_id', 'session_uuid', 'session_id', 'event_name', 'custom_event_type', 'custom_attributes']);

const textOf = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null);
const objectOf = (value: unknown): Json | null => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null);

function restOf(data: EventData): Json {
  const rest: Json = {};
  for (const [key, value] of Object.entries(data)) if (!COLUMN_FIELDS.has(key)) rest[key] = value;
  return rest;
}

function eventOf(from: StreamBatch, event: BatchEvent, index: number): WarehouseEvent {
  const { batch } = from;
  const { data } = event;
  const device = batch.device_info ?? null;
  const application = batch.application_info ?? null;
  const action = event.event_type === 'commerce_event' ? objectOf(data.product_action) : null;
  return {
    workspaceId: from.workspaceId,
    eventId: data.source_message_id || `${from.mpid}-${from.seq}-${index}`,
    mpid: from.mpid,
    inputId: from.inputId,
    batchSeq: from.seq,
    eventIndex: index,
    eventType: event.event_type,
    eventName: eventNameOf(event),
    customEventType: event.event_type === 'custom_event' ? textOf(data.custom_event_type) : null,
    timestampMs: eventTimeMs(event, from),
    receivedAtMs: from.receivedAtMs,
    environment: batch.environment,
    sessionUuid: textOf(data.session_uuid),
    sessionId: textOf(data.session_id),
    sourceMessageId: textOf(data.source_message_id),
    sourceRequestId: textOf(batch.source_request_id),
    platform: textOf(device?.platform) ?? textOf(application?.os),
    osVersion: textOf(device?.os_version),
    deviceModel: textOf(device?.device_model),
    appVersion: textOf(application?.application_version),
    sdkVersion: textOf(batch.sdk_version),
    ip: textOf(batch.ip),
    productAction: textOf(action?.action),
    totalAmount: typeof action?.total_amount === 'number' ? action.total_amount : null,
    customAttributes: objectOf(data.custom_attributes) ?? {},
    userAttributes: batch.user_attributes,
    userIdentities: batch.user_identities,
    deviceInfo: device,
    applicationInfo: application,
    data: restOf(data),
  };
}

interface UserState {
  workspaceId: number;
  mpid: string;
  identities: Json;
  removedIdentities: Set<string>;
  attributes: Json;
  deleted: Set<string>;
  firstSeenMs: number;
  lastSeenMs: number;
}

/** Folds a batch's identities and attributes into its user's state: later batches win; a removal after a set undoes it. */
function merge(users: Map<string, UserState>, from: StreamBatch): void {
  const key = `${from.workspaceId}:${from.mpid}`;
  let user = users.get(key);
  if (!user) {
    const at = from.receivedAtMs;
    user = { workspaceId: from.workspaceId, mpid: from.mpid, identities: {}, removedIdentities: new Set(), attributes: {}, deleted: new Set(), firstSeenMs: at, lastSeenMs: at };
    users.set(key, user);
  }
  for (const [type, value] of Object.entries(from.batch.user_identities)) {
    if (value === null || value === undefined) {
      delete user.identities[type];
      user.removedIdentities.add(type);
    } else {
      user.identities[type] = value;
      user.removedIdentities.delete(type);
    }
  }
  for (const [name, value] of Object.entries(from.batch.user_attributes)) {
    user.attributes[name] = value;
    user.deleted.delete(name);
  }
  for (const name of from.batch.deleted_user_attributes ?? []) {
    delete user.attributes[name];
    user.deleted.add(name);
  }
  user.firstSeenMs = Math.min(user.firstSeenMs, from.receivedAtMs);
  user.lastSeenMs = Math.max(user.lastSeenMs, from.receivedAtMs);
}

/**
 * The rows that load these batches: one per event (an event id seen twice in them is loaded
 * once), and one per user with the state the batches leave it in. A batch without events still
 * updates its user.
 */
export function warehouseLoadOf(batches: readonly StreamBatch[]): WarehouseLoad {
  const events: WarehouseEvent[] = [];
  const seen = new Set<string>();
  const users = new Map<string, UserState>();
  for (const from of batches) {
    from.batch.events.forEach((event, index) => {
      const row = eventOf(from, event, index);
      const key = `${row.workspaceId}:${row.eventId}`;
      if (seen.has(key)) return;
      seen.add(key);
      events.push(row);
    });
    merge(users, from);
  }
  return {
    events,
    users: [...users.values()].map((u) => ({
      workspaceId: u.workspaceId,
      mpid: u.mpid,
      identities: u.identities,
      removedIdentities: [...u.removedIdentities],
      attributes: u.attributes,
      deletedAttributes: [...u.deleted],
      firstSeenMs: u.firstSeenMs,
      lastSeenMs: u.lastSeenMs,
    })),
  };
}
