import { derivedColumnsOf, platformOf } from '../../analytics/event-row.ts';
import { envelopeJson, type LogRecord } from '../../model/envelope.ts';

/**
 * The event store's tables. `events` has one row per event, with the columns analytics filters
 * and groups by and the event's `data` as JSON; `batches` has one row per batch with what all its
 * events share (user attributes and identities, device and application info), so those are
 * stored once, not once per event. The view `events_wide` joins them: one row per event with
 * everything.
 */
export const SCHEMA = `
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
    aliased_from BIGINT,
    violations JSON
  );
  ALTER TABLE events ADD COLUMN IF NOT EXISTS violations JSON;
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
  );
  CREATE OR REPLACE VIEW events_wide AS
    SELECT e.*, b.input_id, b.received_at, b.source_request_id, b.platform, b.user_attributes,
           b.user_identities, b.device_info, b.application_info
    FROM events e JOIN batches b USING (partition, log_offset);`;

/** How `append` hands DuckDB one record: its place in the log, derived columns, and the envelope. */
const LINE_COLUMNS = `{
  o: 'BIGINT', p: 'INTEGER', pl: 'VARCHAR',
  c: 'STRUCT(n VARCHAR[], t VARCHAR[], ts BIGINT[], s VARCHAR[], m VARCHAR[])',
  e: 'STRUCT(workspaceId INTEGER, inputId INTEGER, mpid VARCHAR, receivedAtMs BIGINT,
    batch STRUCT(environment VARCHAR, source_request_id VARCHAR, events STRUCT(event_type VARCHAR, data JSON, violations JSON)[],
      user_attributes JSON, user_identities JSON, device_info JSON, application_info JSON))'
}`;

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
    `INSERT INTO events
       WITH rows AS (SELECT *, unnest(e.batch.events) AS ev, generate_subscripts(e.batch.events, 1) AS i FROM staged)
       SELECT o * 65536 + i - 1, e.workspaceId, p, o, i - 1, e.mpid::BIGINT, e.batch.environment, ev.event_type,
              c.n[i], c.t[i], make_timestamp_ms(c.ts[i]), c.s[i], c.m[i], coalesce(ev.data, '{}'), NULL, ev.violations
       FROM rows`,
    `INSERT INTO batches
       SELECT p, o, e.workspaceId, e.inputId, e.mpid::BIGINT, make_timestamp_ms(e.receivedAtMs), e.batch.source_request_id,
              pl, coalesce(e.batch.user_attributes, '{}'), coalesce(e.batch.user_identities, '{}'),
              e.batch.device_info, e.batch.application_info
       FROM staged`,
    'DROP TABLE staged',
  ];
}

/** One NDJSON line for a record. The envelope is the log's own JSON text when the record is unchanged. */
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
  return `{"o":${record.offset},"p":${record.partition},"pl":${platform},"c":${JSON.stringify(c)},"e":${envelopeJson(record)}}`;
}
