import { derivedColumnsOf, platformOf } from '../../analytics/event-row.ts';
import { editsOf, envelopeJson, type LogRecord, type TextEdits } from '../../model/envelope.ts';
import type { DuckDbMigration } from './migrate-duckdb.ts';

/**
 * The event store's tables as first released (the `violations` column came later). `events` has
 * one row per event, with the columns analytics filters and groups by and the event's `data` as
 * JSON; `batches` has one row per batch with what all its events share (user attributes and
 * identities, device and application info), so those are stored once, not once per event.
 */
const TABLES = `
  CREATE TABLE IF NOT EXISTS events (
    event_id BIGINT NOT NULL,
    workspace_id INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    log_offset BIGINT NOT NULL,
    event_index INTEGER NOT NULL,
    mpid BIGINT NOT NULL,
    environment VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    event_name VARCHAR,
    custom_event_type VARCHAR,
    event_time TIMESTAMP NOT NULL,
    session_uuid VARCHAR,
    source_message_id VARCHAR,
    data JSON NOT NULL,
    aliased_from BIGINT
  );
  CREATE TABLE IF NOT EXISTS batches (
    partition INTEGER NOT NULL,
    log_offset BIGINT NOT NULL,
    workspace_id INTEGER NOT NULL,
    input_id INTEGER NOT NULL,
    mpid BIGINT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    source_request_id VARCHAR,
    platform VARCHAR,
    user_attributes JSON NOT NULL,
    user_identities JSON NOT NULL,
    device_info JSON,
    application_info JSON
  );`;

/** The event store's schema, run by ./migrate-duckdb.ts when the store opens. */
export const EVENT_STORE_MIGRATIONS: readonly DuckDbMigration[] = [
  { version: 1, description: 'events and batches tables', up: TABLES },
  // `IF NOT EXISTS`: data dirs made before versioning have it already (0.1 created it with the table).
  { version: 2, description: "events.violations: each event's data plan violations", up: 'ALTER TABLE events ADD COLUMN IF NOT EXISTS violations JSON' },
  {
    version: 3,
    description: "calculated_values: each user's calculated attribute values, one row per user",
    // No primary key: a put deletes the rows it replaces, then inserts (an ART index refuses a key deleted and inserted in one transaction).
    up: `CREATE TABLE calculated_values (workspace_id INTEGER NOT NULL, mpid BIGINT NOT NULL, "values" JSON NOT NULL, as_of TIMESTAMP NOT NULL)`,
  },
  // Batches stored before it have none (NULL): audiences over history read consent from later batches only.
  { version: 4, description: "batches.consent_state: each batch's consent state", up: 'ALTER TABLE batches ADD COLUMN consent_state JSON' },
  // Batches stored before it have none (NULL): their access exports hold what the other columns keep.
  { version: 5, description: "batches.header: the rest of each batch's top level (environment, ip, timestamp, context...)", up: 'ALTER TABLE batches ADD COLUMN header JSON' },
];

/**
 * The top-level fields of a batch `batches.header` keeps (those no other column holds), so an
 * access request's export gives each batch as it was sent (`batchesOf`); its `ip` is the address
 * the batch came from when the batch names none.
 */
const HEADER_FIELDS = [
  'environment',
  'timestamp_unixtime_ms',
  'ip',
  'mp_deviceid',
  'sdk_version',
  'schema_version',
  'context',
  'deleted_user_attributes',
  'integration_attributes',
  'partner_identities',
] as const;

/**
 * Statements that put one NDJSON file of `CalculatedValueRow`s (as `w, m, v, t`, one line per
 * user) into `calculated_values`, in one transaction.
 */
export function putValuesStatements(file: string): string[] {
  const path = file.replaceAll("'", "''");
  return [
    `CREATE OR REPLACE TEMP TABLE staged_values AS
       SELECT * FROM read_ndjson('${path}', columns = {w: 'INTEGER', m: 'BIGINT', v: 'JSON', t: 'BIGINT'})`,
    'DELETE FROM calculated_values c USING staged_values s WHERE c.workspace_id = s.w AND c.mpid = s.m',
    'INSERT INTO calculated_values SELECT w, m, v, make_timestamp_ms(t) FROM staged_values',
    'DROP TABLE staged_values',
  ];
}

/**
 * `events_wide` joins the tables: one row per event with everything. It is not a migration but
 * is redefined on every open, after them: a view holds no data, so redefining it costs nothing,
 * and the data dir then always has the definition of the code that opens it, without each
 * migration that changes `events` or `batches` having to remember to redefine it.
 */
export const EVENTS_WIDE_VIEW = `
  CREATE OR REPLACE VIEW events_wide AS
    SELECT e.*, b.input_id, b.received_at, b.source_request_id, b.platform, b.user_attributes,
           b.user_identities, b.device_info, b.application_info
    FROM events e JOIN batches b USING (partition, log_offset);`;

/**
 * How `append` hands DuckDB one record: its place in the log, derived columns, the envelope and,
 * for a record a stage changed, `k`: what differs from the logged envelope (see {@link lineOf}).
 */
const LINE_COLUMNS = `{
  o: 'BIGINT', p: 'INTEGER', pl: 'VARCHAR',
  c: 'STRUCT(n VARCHAR[], t VARCHAR[], ts BIGINT[], s VARCHAR[], m VARCHAR[])',
  k: 'STRUCT(i BIGINT[], v JSON[], d JSON[], ua JSON, ui JSON)',
  e: 'STRUCT(workspaceId INTEGER, inputId INTEGER, mpid VARCHAR, receivedAtMs BIGINT, ip VARCHAR,
    batch STRUCT(environment VARCHAR, source_request_id VARCHAR, events STRUCT(event_type VARCHAR, data JSON, violations JSON)[],
      user_attributes JSON, user_identities JSON, device_info JSON, application_info JSON, consent_state JSON,
      ${HEADER_FIELDS.filter((f) => f !== 'environment').map((f) => `${f} JSON`).join(', ')}))'
}`;

/**
 * `eraseUsers`: some users' rows of each table, each statement `($1 workspace)`, the users' MPIDs
 * a list literal (`mpidList`). No index serves them: DuckDB scans only the `workspace_id` and
 * `mpid` columns, skipping row groups by their min/max, where an ART index would cost every
 * append and be held in memory; one scan serves many users.
 */
export function eraseUsersStatements(mpids: string): string[] {
  return [
    `DELETE FROM events WHERE workspace_id = $1 AND (mpid IN ${mpids} OR aliased_from IN ${mpids})`,
    `DELETE FROM batches WHERE workspace_id = $1 AND mpid IN ${mpids}`,
    `DELETE FROM calculated_values WHERE workspace_id = $1 AND mpid IN ${mpids}`,
  ];
}

/** MPIDs as a SQL list of BIGINT literals; each is checked to be an integer, so nothing else reaches the SQL. */
export function mpidList(mpids: readonly string[]): string {
  for (const mpid of mpids) if (!/^-?\d{1,20}$/.test(mpid)) throw new Error(`not an MPID: ${JSON.stringify(mpid)}`);
  return `(${mpids.map((m) => `CAST(${m} AS BIGINT)`).join(', ')})`;
}

/** Aliasing: copies of one user's events in a time range, under another user's MPID. */
export const COPY_EVENTS = `
  INSERT INTO events
  SELECT event_id, workspace_id, partition, log_offset, event_index, CAST($3 AS BIGINT), environment, event_type,
         event_name, custom_event_type, event_time, session_uuid, source_message_id, data, mpid, violations
  FROM events
  WHERE workspace_id = $1 AND mpid = CAST($2 AS BIGINT) AND aliased_from IS NULL
    AND event_time BETWEEN make_timestamp_ms($4) AND make_timestamp_ms($5)`;

/** Statements that load one NDJSON file of lines into both tables (run in one transaction). */
export function loadStatements(file: string): string[] {
  const path = file.replaceAll("'", "''");
  return [
    `CREATE OR REPLACE TEMP TABLE staged AS SELECT * FROM read_ndjson('${path}', columns = ${LINE_COLUMNS})`,
    // i: the event's place in the record (and in c); src: its index in the envelope's events.
    `INSERT INTO events
       WITH kept AS (SELECT *, coalesce(k.i, range(len(e.batch.events))) AS ks FROM staged),
            rows AS (SELECT *, unnest(ks) AS src, generate_subscripts(ks, 1) AS i FROM kept),
            evs AS (SELECT *, e.batch.events[src + 1] AS ev FROM rows)
       SELECT o * 65536 + src, e.workspaceId, p, o, src, e.mpid::BIGINT, e.batch.environment, ev.event_type,
              c.n[i], c.t[i], make_timestamp_ms(c.ts[i]), c.s[i], c.m[i], coalesce(k.d[i], ev.data, '{}'), NULL,
              coalesce(k.v[i], ev.violations)
       FROM evs`,
    `INSERT INTO batches
       SELECT p, o, e.workspaceId, e.inputId, e.mpid::BIGINT, make_timestamp_ms(e.receivedAtMs), e.batch.source_request_id,
              pl, coalesce(k.ua, e.batch.user_attributes, '{}'), coalesce(k.ui, e.batch.user_identities, '{}'),
              e.batch.device_info, e.batch.application_info, e.batch.consent_state,
              json_object(${HEADER_FIELDS.map((f) => `'${f}', ${f === 'ip' ? 'coalesce(e.batch.ip, to_json(e.ip))' : `e.batch.${f}`}`).join(', ')})
       FROM staged`,
    'DROP TABLE staged',
  ];
}

/**
 * What a record a stage changed differs in from its logged envelope, when the stage told how
 * ({@link TextEdits}): per kept event its index in the logged batch (`i`), its `violations` (`v`)
 * and its data where changed (`d`); the user attributes (`ua`) and identities (`ui`) where changed.
 * Serialising that is far cheaper than serialising the whole record anew.
 */
function differences(record: LogRecord, edits: TextEdits): string {
  const { events, user_attributes, user_identities } = record.batch;
  return JSON.stringify({
    i: edits.eventIndex,
    v: events.map((e) => e.violations ?? null),
    d: events.map((e, j) => (edits.changedData.has(j) ? e.data : null)),
    ua: edits.userAttributesChanged ? user_attributes : undefined,
    ui: edits.userIdentitiesChanged ? user_identities : undefined,
  });
}

/**
 * One NDJSON line for a record. The envelope is the log's own JSON text when the record is
 * unchanged, or when a stage told how it changed it (then with the differences in `k`); else the
 * record serialised anew.
 */
export function lineOf(record: LogRecord): string {
  const cols = record.batch.events.map((event) => derivedColumnsOf(record, event));
  const c = {
    n: cols.map((x) => x.eventName),
    t: cols.map((x) => x.customEventType),
    ts: cols.map((x) => x.timestampMs),
    s: cols.map((x) => x.sessionUuid),
    m: cols.map((x) => x.sourceMessageId),
  };
  const platform = JSON.stringify(platformOf(record));
  const head = `{"o":${record.offset},"p":${record.partition},"pl":${platform},"c":${JSON.stringify(c)}`;
  const edited = editsOf(record);
  if (edited) return `${head},"k":${differences(record, edited.edits)},"e":${edited.text}}`;
  return `${head},"e":${envelopeJson(record)}}`;
}
