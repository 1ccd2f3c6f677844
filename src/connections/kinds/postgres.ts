/**
 * The `postgres` output: a warehouse in a PostgreSQL schema that Quanta creates, evolves and
 * loads, modelled on mParticle's data warehouse integrations (Redshift, Snowflake, BigQuery).
 *
 * **Tables** (created if absent in `schema`, with a `quanta_migrations` table of the versions run):
 *
 * | table | one row per | columns |
 * |---|---|---|
 * | `events` | event | `workspace_id`, `event_id` (the key), `mpid`, `input_id`, `batch_seq`, `event_index`, `event_type`, `event_name`, `custom_event_type`, `event_timestamp`, `received_at`, `environment`, `session_uuid`, `session_id`, `source_message_id`, `source_request_id`, `platform`, `os_version`, `device_model`, `app_version`, `sdk_version`, `ip`, `product_action`, `total_amount`; JSON: `custom_attributes`, `user_attributes`, `user_identities`, `device_info`, `application_info`, `data` (the event's other fields: products, screen name...); `loaded_at`; then one `ea_<name>` column per event attribute |
 * | `users` | workspace and MPID | `user_identities`, `user_attributes` (JSON), `customer_id`, `email` (from the identities), `first_seen_at`, `last_seen_at` (receive times), `updated_at` |
 * | `attribute_columns` | attribute with a column | `attribute`, `column_name`, `column_type`, `created_at` |
 * | `type_conflicts` | column and type of misfit value | `column_name`, `attribute`, `column_type`, `value_type`, `sample` (the last value), `conflicts` (a count), `first_seen_at`, `last_seen_at` |
 *
 * Unlike mParticle, which splits events into a table per frequent event name (and `otherevents`),
 * every event goes to `events`; `event_type` and `event_name` select them (and are indexed with the time).
 *
 * **Idempotent loads.** `event_id` is the event's `source_message_id` (which mParticle's SDKs set
 * on every event), else `<mpid>-<stream seq>-<index in the batch>`; `(workspace_id, event_id)` is
 * the key, and a load inserts with `ON CONFLICT DO NOTHING`, so a redelivered batch (the delivery
 * is at least once) adds no row. A user row is upserted with the batches' identities and
 * attributes set over the stored ones (deleted attributes, null identities taken out), unless the
 * stored row is from a later batch already.
 *
 * **Evolving columns.** When an event carries an attribute with no column, `events` gets a column
 * `ea_<attribute in snake case>` (mParticle's prefix), typed by the first value: a JSON number is
 * `numeric`, a boolean `boolean`, an ISO 8601 time with offset `timestamptz`, other strings
 * `text` (`storage/postgres/attribute-types.ts`). At most 200 attributes get columns; past that,
 * new attributes stay in `custom_attributes` only (which always has every attribute).
 *
 * **Type conflicts are reported, not fatal.** A value that does not fit its column (`"high"` for
 * a `numeric` column) leaves the column null in that row, the value stays in `custom_attributes`,
 * and the row loads. The conflict is counted in `type_conflicts` (per column and value type, with
 * the last value as a sample), only for rows the load inserted, so redelivery does not count it
 * twice; the output's `typeConflicts()` reads the table, and its `totals` count what it loaded.
 *
 * **Loading.** One `deliver` (up to {@link POSTGRES_MAX_BATCHES} batches) is one transaction: a
 * `COPY` into a temporary staging table, one `INSERT ... SELECT` into `events` that also records
 * the conflicts, a `COPY` and upsert of the users. New columns are added before it, in a
 * transaction of their own under an advisory lock. Failures are classified by SQLSTATE
 * (`storage/postgres/pg-errors.ts`): connection failures, timeouts, deadlocks, serialization
 * failures, too many connections, a server shutting down retry; wrong credentials, an unknown
 * database, missing privileges are permanent.
 */
import type { Output, OutputKind, OutputOptions, SettingSpec, Settings } from '../output.ts';
import type { Parsed, Problem } from '../stream-batch.ts';
import { IDENTIFIER, type LoadResult, type TypeConflict, type Warehouse, type WarehouseTarget, warehouseLoadOf } from './postgres-rows.ts';

/** Batches per load: COPY pays off on large loads. */
export const POSTGRES_MAX_BATCHES = 500;

const SETTINGS: readonly SettingSpec[] = [
  {
    name: 'connection_string',
    type: 'string',
    is_required: true,
    is_confidential: true,
    description: 'The database to load, as a PostgreSQL connection URL: postgres://user:password@host:5432/database (with ?sslmode=require for TLS).',
  },
  {
    name: 'schema',
    type: 'string',
    is_required: false,
    default: 'quanta',
    description: 'The schema Quanta creates (if absent) and loads: its events, users, attribute_columns and type_conflicts tables. Lower case letters, digits and _, starting with a letter or _.',
  },
];

function checkSettings(settings: Settings): Parsed<Settings> {
  const problems: Problem[] = [];
  const url = settings.connection_string;
  if (typeof url === 'string') {
    let protocol: string | undefined;
    try {
      protocol = new URL(url).protocol;
    } catch {
      problems.push('settings.connection_string: not a URL; send it as postgres://user:password@host:5432/database');
    }
    if (protocol !== undefined && protocol !== 'postgres:' && protocol !== 'postgresql:') problems.push(`settings.connection_string: must be a postgres:// or postgresql:// URL, not ${protocol}`);
  }
  const schema = settings.schema;
  if (typeof schema === 'string' && !IDENTIFIER.test(schema)) {
    problems.push(`settings.schema: "${schema}" is not a schema name Quanta can use: lower case letters, digits and _, starting with a letter or _, at most 63 characters, not starting with pg_`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: settings };
}

/** What a `postgres` output has loaded since it opened. */
export interface LoadTotals {
  loaded: number;
  duplicates: number;
  conflicts: number;
  newColumns: number;
}

/** A `postgres` output: an {@link Output} that also reports its schema's type conflicts. */
export interface PostgresOutput extends Output {
  /** Every type conflict the schema's `type_conflicts` table holds, the most recent first. */
  typeConflicts(): Promise<TypeConflict[]>;
  readonly totals: Readonly<LoadTotals>;
}

/**
 * Opens a `postgres` output on the schema its settings name. The pool opens at the first
 * delivery; `close` ends it.
 *
 * @example
 * const output = openPostgres({ connection_string: 'postgres://127.0.0.1/test', schema: 'quanta' }, { timeoutMs: 10_000 }, engines.warehouse);
 * await output.deliver(batches, key);
 * await output.typeConflicts(); // [{ column: 'ea_level', columnType: 'numeric', valueType: 'text', sample: 'high', conflicts: 1, ... }]
 */
export function openPostgres(settings: Settings, options: OutputOptions, warehouseOf: (target: WarehouseTarget) => Warehouse): PostgresOutput {
  const target = warehouseOf({ connectionString: settings.connection_string as string, schema: settings.schema as string, timeoutMs: options.timeoutMs });
  const totals: LoadTotals = { loaded: 0, duplicates: 0, conflicts: 0, newColumns: 0 };
  const add = (r: LoadResult) => {
    totals.loaded += r.loaded;
    totals.duplicates += r.duplicates;
    totals.conflicts += r.conflicts;
    totals.newColumns += r.newColumns;
  };
  return {
    maxBatches: POSTGRES_MAX_BATCHES,
    totals,
    async deliver(batches) {
      add(await target.load(warehouseLoadOf(batches)));
    },
    typeConflicts: () => target.conflicts(),
    close: () => target.close(),
  };
}

/** A warehouse in PostgreSQL: events and users tables created, evolved and loaded with COPY, on the warehouse engine given. */
export const postgresKind = (warehouseOf: (target: WarehouseTarget) => Warehouse): OutputKind => ({
  name: 'postgres',
  description: 'Loads your events and users into PostgreSQL tables it creates and evolves (one row per event, typed columns for event attributes, JSON for the rest), in batches with COPY.',
  settings: SETTINGS,
  check: checkSettings,
  open: (settings, options) => openPostgres(settings, options, warehouseOf),
});
