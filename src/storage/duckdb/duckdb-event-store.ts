import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance, timestampValue } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventFilter, EventStore, StoredEvent } from '../../analytics/event-store.ts';
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

/**
 * The embedded event store: one DuckDB file, written through an appender.
 * Appends are synchronous inside DuckDB and short; reads run on the same connection.
 */
export class DuckDbEventStore implements EventStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    private appender: DuckDBAppender,
  ) {}

  static async open(file: string): Promise<DuckDbEventStore> {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run(SCHEMA);
    return new DuckDbEventStore(instance, conn, await conn.createAppender('events'));
  }

  async append(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const a = this.appender;
    for (const e of events) {
      a.appendBigInt(e.eventId);
      a.appendInteger(e.workspaceId);
      a.appendInteger(e.inputId);
      a.appendInteger(e.partition);
      a.appendBigInt(BigInt(e.logOffset));
      a.appendInteger(e.eventIndex);
      a.appendBigInt(BigInt(e.mpid));
      a.appendVarchar(e.environment);
      a.appendVarchar(e.eventType);
      appendText(a, e.eventName);
      appendText(a, e.customEventType);
      a.appendTimestamp(timestampValue(BigInt(Math.trunc(e.timestampMs)) * 1000n));
      a.appendTimestamp(timestampValue(BigInt(Math.trunc(e.receivedAtMs)) * 1000n));
      appendText(a, e.sessionUuid);
      appendText(a, e.sourceMessageId);
      appendText(a, e.sourceRequestId);
      appendText(a, e.platform);
      a.appendVarchar(JSON.stringify(e.data));
      a.appendVarchar(JSON.stringify(e.userAttributes));
      a.appendVarchar(JSON.stringify(e.userIdentities));
      appendText(a, e.deviceInfo && JSON.stringify(e.deviceInfo));
      appendText(a, e.applicationInfo && JSON.stringify(e.applicationInfo));
      a.endRow();
    }
    a.flushSync();
  }

  async truncateAfter(partition: number, offset: number): Promise<number> {
    const r = await this.conn.run('DELETE FROM events WHERE partition = $1 AND log_offset > $2', [partition, offset]);
    return Number(r.rowsChanged);
  }

  async clear(): Promise<void> {
    await this.conn.run('DELETE FROM events');
    await this.conn.run('CHECKPOINT');
  }

  async count(filter: EventFilter): Promise<number> {
    const { where, params } = toWhere(filter);
    const r = await this.conn.runAndReadAll(`SELECT count(*) AS n FROM events WHERE ${where}`, params);
    return Number(r.getRowObjectsJS()[0]?.n ?? 0);
  }

  async list(filter: EventFilter, limit: number): Promise<StoredEvent[]> {
    const { where, params } = toWhere(filter);
    const r = await this.conn.runAndReadAll(
      `SELECT *, epoch_ms(event_time) AS ts, epoch_ms(received_at) AS rcv, mpid::VARCHAR AS mpid_text
       FROM events WHERE ${where} ORDER BY event_id LIMIT ${Math.max(0, Math.trunc(limit))}`,
      params,
    );
    return r.getRowObjectsJS().map(toStoredEvent);
  }

  async close(): Promise<void> {
    this.appender.closeSync();
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

function appendText(a: DuckDBAppender, value: string | null | undefined): void {
  if (value === null || value === undefined) a.appendNull();
  else a.appendVarchar(value);
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
