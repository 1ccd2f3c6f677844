import { createHash } from 'node:crypto';
import type { WarehouseEvent, WarehouseUser } from '../../connections/kinds/postgres-rows.ts';
import { isoOfMs } from './attribute-types.ts';
import type { CopyValue } from './copy-text.ts';

/** A name PostgreSQL takes unquoted: lower case, at most 63 bytes, not `pg_`-reserved. */
export { IDENTIFIER } from '../../connections/kinds/postgres-rows.ts';

/** An identifier quoted for SQL text; only ever given names checked against {@link IDENTIFIER} or made by {@link attributeColumnName}. */
export const quoted = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A column of a table the warehouse loads by COPY, and how a row gives its value. */
export interface LoadColumn<Row> {
  readonly name: string;
  readonly type: string;
  readonly of: (row: Row) => CopyValue;
}

const at = (ms: number) => isoOfMs(ms);

/** The fixed columns of `events`, in COPY order; the evolved `ea_` columns follow them. */
export const EVENT_COLUMNS: readonly LoadColumn<WarehouseEvent>[] = [
  { name: 'workspace_id', type: 'bigint NOT NULL', of: (e) => e.workspaceId },
  { name: 'event_id', type: 'text NOT NULL', of: (e) => e.eventId },
  { name: 'mpid', type: 'bigint NOT NULL', of: (e) => e.mpid },
  { name: 'input_id', type: 'bigint NOT NULL', of: (e) => e.inputId },
  { name: 'batch_seq', type: 'bigint NOT NULL', of: (e) => e.batchSeq },
  { name: 'event_index', type: 'integer NOT NULL', of: (e) => e.eventIndex },
  { name: 'event_type', type: 'text NOT NULL', of: (e) => e.eventType },
  { name: 'event_name', type: 'text', of: (e) => e.eventName },
  { name: 'custom_event_type', type: 'text', of: (e) => e.customEventType },
  { name: 'event_timestamp', type: 'timestamptz', of: (e) => at(e.timestampMs) },
  { name: 'received_at', type: 'timestamptz NOT NULL', of: (e) => at(e.receivedAtMs) },
  { name: 'environment', type: 'text NOT NULL', of: (e) => e.environment },
  { name: 'session_uuid', type: 'text', of: (e) => e.sessionUuid },
  { name: 'session_id', type: 'text', of: (e) => e.sessionId },
  { name: 'source_message_id', type: 'text', of: (e) => e.sourceMessageId },
  { name: 'source_request_id', type: 'text', of: (e) => e.sourceRequestId },
  { name: 'platform', type: 'text', of: (e) => e.platform },
  { name: 'os_version', type: 'text', of: (e) => e.osVersion },
  { name: 'device_model', type: 'text', of: (e) => e.deviceModel },
  { name: 'app_version', type: 'text', of: (e) => e.appVersion },
  { name: 'sdk_version', type: 'text', of: (e) => e.sdkVersion },
  { name: 'ip', type: 'text', of: (e) => e.ip },
  { name: 'product_action', type: 'text', of: (e) => e.productAction },
  { name: 'total_amount', type: 'numeric', of: (e) => (e.totalAmount !== null && Number.isFinite(e.totalAmount) ? e.totalAmount : null) },
  { name: 'custom_attributes', type: "jsonb NOT NULL DEFAULT '{}'", of: (e) => e.customAttributes },
  { name: 'user_attributes', type: "jsonb NOT NULL DEFAULT '{}'", of: (e) => e.userAttributes },
  { name: 'user_identities', type: "jsonb NOT NULL DEFAULT '{}'", of: (e) => e.userIdentities },
  { name: 'device_info', type: 'jsonb', of: (e) => e.deviceInfo },
  { name: 'application_info', type: 'jsonb', of: (e) => e.applicationInfo },
  { name: 'data', type: "jsonb NOT NULL DEFAULT '{}'", of: (e) => e.data },
];

/** The columns of the users' staging table, in COPY order. */
export const USER_COLUMNS: readonly LoadColumn<WarehouseUser>[] = [
  { name: 'workspace_id', type: 'bigint NOT NULL', of: (u) => u.workspaceId },
  { name: 'mpid', type: 'bigint NOT NULL', of: (u) => u.mpid },
  { name: 'identities', type: 'jsonb NOT NULL', of: (u) => u.identities },
  { name: 'removed_identities', type: 'text[] NOT NULL', of: (u) => textArray(u.removedIdentities) },
  { name: 'attributes', type: 'jsonb NOT NULL', of: (u) => u.attributes },
  { name: 'deleted_attributes', type: 'text[] NOT NULL', of: (u) => textArray(u.deletedAttributes) },
  { name: 'first_seen_at', type: 'timestamptz NOT NULL', of: (u) => at(u.firstSeenMs) },
  { name: 'last_seen_at', type: 'timestamptz NOT NULL', of: (u) => at(u.lastSeenMs) },
];

/** A text[] in array input syntax, each element quoted. */
function textArray(items: readonly string[]): string {
  return `{${items.map((t) => `"${t.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

/** One step of the warehouse's schema: each runs once, in order, recorded in `quanta_migrations`. */
export interface WarehouseMigration {
  readonly version: number;
  readonly description: string;
  readonly up: (schema: string) => string;
}

export const WAREHOUSE_MIGRATIONS: readonly WarehouseMigration[] = [
  {
    version: 1,
    description: 'events, users, attribute columns and type conflicts',
    up: (s) => `
      CREATE TABLE IF NOT EXISTS ${s}.events (
        ${EVENT_COLUMNS.map((c) => `${c.name} ${c.type}`).join(',\n        ')},
        loaded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, event_id)
      );
      CREATE INDEX IF NOT EXISTS events_by_time ON ${s}.events (event_timestamp);
      CREATE INDEX IF NOT EXISTS events_by_user ON ${s}.events (mpid, event_timestamp);
      CREATE TABLE IF NOT EXISTS ${s}.users (
        workspace_id bigint NOT NULL,
        mpid bigint NOT NULL,
        customer_id text GENERATED ALWAYS AS (user_identities->>'customer_id') STORED,
        email text GENERATED ALWAYS AS (user_identities->>'email') STORED,
        user_identities jsonb NOT NULL DEFAULT '{}',
        user_attributes jsonb NOT NULL DEFAULT '{}',
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, mpid)
      );
      CREATE TABLE IF NOT EXISTS ${s}.attribute_columns (
        attribute text PRIMARY KEY,
        column_name text NOT NULL UNIQUE,
        column_type text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS ${s}.type_conflicts (
        column_name text NOT NULL,
        attribute text NOT NULL,
        column_type text NOT NULL,
        value_type text NOT NULL,
        sample text NOT NULL,
        conflicts bigint NOT NULL,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        PRIMARY KEY (column_name, value_type)
      );`,
  },
];

const COLUMN_PREFIX = 'ea_';
/** Room in a 63-byte identifier for the prefix and a `_<hash>` suffix. */
const NAME_CHARS = 48;

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/**
 * The column an event attribute gets: `ea_` (mParticle's prefix for event attribute columns) and
 * its key in lower case, each run of other characters one `_` (`$Amount` → `ea_amount`,
 * `Page Title` → `ea_page_title`). A name another key already has, or an empty one, takes a
 * hash of the key (`ea_amount_1a2b3c4d`).
 */
export function attributeColumnName(attribute: string, taken: ReadonlySet<string>): string {
  const base = attribute
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, NAME_CHARS);
  const plain = `${COLUMN_PREFIX}${base}`;
  if (base !== '' && !taken.has(plain)) return plain;
  for (let n = 0; ; n += 1) {
    const name = `${COLUMN_PREFIX}${base === '' ? '' : `${base}_`}${hashOf(n === 0 ? attribute : `${attribute}\0${n}`)}`;
    if (!taken.has(name)) return name;
  }
}
