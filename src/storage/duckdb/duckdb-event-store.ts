import { BIGINT, type DuckDBConnection, DuckDBInstance, INTEGER, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { eventNameOf } from '../../analytics/event-row.ts';
import type { EventFilter, EventStore, StoredEvent } from '../../analytics/event-store.ts';
import { envelopeJson, type LogRecord } from '../../model/envelope.ts';
import { inputId, type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';
import type { Environment, EventType } from '../../model/event-types.ts';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    event_id BIGINT NOT NULL,
    workspace_id INTEGER NOT NULL,
    input_id INTEGER NOT NULL,
    partition INTEGER NOT NULL,
    log_offset BIGINT NOT NULL,
    event_index INTEGER NOT NULL,
    mpid BIGINT NOT NULL,
    environment VARCHAR NOT NULL,
    event_type VARCHAR NOT NULL,
    event_name VARCHAR,
    custom_event_type VARCHAR,
    event_time TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    session_uuid VARCHAR,
    source_message_id VARCHAR,
    source_request_id VARCHAR,
    platform VARCHAR,
    data JSON,
    user_attributes JSON,
    user_identities JSON,
    device_info JSON,
    application_info JSON
  )`;

/** The envelope fields the insert reads; `data` and the batch-level objects stay JSON. */
const ENVELOPE_SHAPE = JSON.stringify({
  workspaceId: 'INTEGER',
  inputId: 'INTEGER',
  mpid: 'VARCHAR',
  receivedAtMs: 'BIGINT',
  batch: {
    environment: 'VARCHAR',
    source_request_id: 'VARCHAR',
    timestamp_unixtime_ms: 'BIGINT',
    events: [{ event_type: 'VARCHAR', data: 'JSON' }],
    user_attributes: 'JSON',
    user_identities: 'JSON',
    device_info: 'JSON',
    application_info: 'JSON',
  },
});

/**
 * One row per event, derived inside DuckDB from the envelopes' JSON text: the same columns as
 * `storedEventsOf` (the contract suite checks they agree). Event names come from JS
 * (`eventNameOf`), the one place that knows how commerce events are named.
 */
const INSERT = `
  INSERT INTO events
  WITH input AS (
    SELECT unnest($1::VARCHAR[]) AS envelope, unnest($2::BIGINT[]) AS log_offset,
           unnest($3::INTEGER[]) AS partition, unnest($4::VARCHAR[]) AS names
  ),
  parsed AS (
    SELECT log_offset, partition, from_json(envelope, '${ENVELOPE_SHAPE}') AS x,
           from_json(names, '["VARCHAR"]') AS names
    FROM input
  ),
  events AS (
    SELECT log_offset, partition, x, names, unnest(x.batch.events) AS ev,
           generate_subscripts(x.batch.events, 1) AS i
    FROM parsed
  )
  SELECT
    log_offset * 65536 + i - 1, x.workspaceId, x.inputId, partition, log_offset, i - 1,
    x.mpid::BIGINT, x.batch.environment, ev.event_type, names[i],
    CASE WHEN ev.event_type = 'custom_event' THEN ev.data->>'custom_event_type' END,
    make_timestamp_ms(coalesce(TRY_CAST(ev.data->>'timestamp_unixtime_ms' AS BIGINT), x.batch.timestamp_unixtime_ms, x.receivedAtMs)),
    make_timestamp_ms(x.receivedAtMs),
    ev.data->>'session_uuid', ev.data->>'source_message_id', x.batch.source_request_id,
    coalesce(x.batch.device_info->>'platform', x.batch.application_info->>'os'),
    coalesce(ev.data, '{}'), coalesce(x.batch.user_attributes, '{}'), coalesce(x.batch.user_identities, '{}'),
    x.batch.device_info, x.batch.application_info
  FROM events`;

/**
 * The embedded event store: one DuckDB file. Appends hand DuckDB the envelopes' JSON text in
 * one statement, so the rows are built by DuckDB on its own threads, off the event loop.
 * Writes and reads use separate connections (a connection runs one statement at a time).
 */
export class DuckDbEventStore implements EventStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
  ) {}

  static async open(file: string): Promise<DuckDbEventStore> {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(file);
    const writer = await instance.connect();
    await writer.run(SCHEMA);
    return new DuckDbEventStore(instance, writer, await instance.connect());
  }

  async append(records: readonly LogRecord[]): Promise<void> {
    const withEvents = records.filter((r) => r.batch.events.length > 0);
    if (withEvents.length === 0) return;
    await this.writer.run(
      INSERT,
      [
        listValue(withEvents.map(envelopeJson)),
        listValue(withEvents.map((r) => BigInt(r.offset))),
        listValue(withEvents.map((r) => r.partition)),
        listValue(withEvents.map((r) => JSON.stringify(r.batch.events.map(eventNameOf)))),
      ],
      [LIST(VARCHAR), LIST(BIGINT), LIST(INTEGER), LIST(VARCHAR)],
    );
  }

  async truncateAfter(partition: number, offset: number): Promise<number> {
    const r = await this.writer.run('DELETE FROM events WHERE partition = $1 AND log_offset > $2', [partition, offset]);
    return Number(r.rowsChanged);
  }

  async clear(): Promise<void> {
    await this.writer.run('DELETE FROM events');
    await this.writer.run('CHECKPOINT');
  }

  async count(filter: EventFilter): Promise<number> {
    const { where, params } = toWhere(filter);
    const r = await this.reader.runAndReadAll(`SELECT count(*) AS n FROM events WHERE ${where}`, params);
    return Number(r.getRowObjectsJS()[0]?.n ?? 0);
  }

  async list(filter: EventFilter, limit: number): Promise<StoredEvent[]> {
    const { where, params } = toWhere(filter);
    const r = await this.reader.runAndReadAll(
      `SELECT *, epoch_ms(event_time) AS ts, epoch_ms(received_at) AS rcv, mpid::VARCHAR AS mpid_text
       FROM events WHERE ${where} ORDER BY event_id LIMIT ${Math.max(0, Math.trunc(limit))}`,
      params,
    );
    return r.getRowObjectsJS().map(toStoredEvent);
  }

  async close(): Promise<void> {
    this.reader.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }
}

function toWhere(filter: EventFilter): { where: string; params: (string | number)[] } {
  const clauses = ['workspace_id = $1'];
  const params: (string | number)[] = [filter.workspaceId];
  if (filter.mpid !== undefined) {
    params.push(filter.mpid);
    clauses.push(`mpid = CAST($${params.length} AS BIGINT)`);
  }
  if (filter.eventType !== undefined) {
    params.push(filter.eventType);
    clauses.push(`event_type = $${params.length}`);
  }
  return { where: clauses.join(' AND '), params };
}

function toStoredEvent(row: Record<string, unknown>): StoredEvent {
  const json = (v: unknown) => (v === null || v === undefined ? null : (JSON.parse(String(v)) as Record<string, unknown>));
  return {
    eventId: BigInt(row.event_id as bigint),
    workspaceId: workspaceId(Number(row.workspace_id)),
    inputId: inputId(Number(row.input_id)),
    partition: Number(row.partition),
    logOffset: Number(row.log_offset),
    eventIndex: Number(row.event_index),
    mpid: parseMpid(row.mpid_text) as Mpid,
    environment: row.environment as Environment,
    eventType: row.event_type as EventType,
    eventName: (row.event_name as string | null) ?? null,
    customEventType: (row.custom_event_type as string | null) ?? null,
    timestampMs: Number(row.ts),
    receivedAtMs: Number(row.rcv),
    sessionUuid: (row.session_uuid as string | null) ?? null,
    sourceMessageId: (row.source_message_id as string | null) ?? null,
    sourceRequestId: (row.source_request_id as string | null) ?? null,
    platform: (row.platform as string | null) ?? null,
    data: json(row.data) ?? {},
    userAttributes: json(row.user_attributes) ?? {},
    userIdentities: json(row.user_identities) ?? {},
    deviceInfo: json(row.device_info),
    applicationInfo: json(row.application_info),
  };
}
