import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { writeFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchCursor, CalculatedValueRow, DataFieldMatch, EventFilter, EventScan, EventStore, EventTally, ScannedEvent, StoredBatch, StoredEvent } from '../../analytics/event-store.ts';
import type { AudienceHistory, AudienceSelection, SelectionCounts } from '../../audiences/history-selection.ts';
import type { LogRecord } from '../../model/envelope.ts';
import { inputId, type InputId, type Mpid, parseMpid, workspaceId, type WorkspaceId } from '../../kernel/ids.ts';
import type { Environment, EventType } from '../../model/event-types.ts';
import { COPY_EVENTS, eraseUsersStatements, EVENT_STORE_MIGRATIONS, mpidList, EVENTS_WIDE_VIEW, lineOf, loadStatements, putValuesStatements } from './event-store-sql.ts';
import { migrateDuckDb } from './migrate-duckdb.ts';
import { BATCHES_OF, storedBatchOf } from './event-store-batches.ts';
import { audienceSql, NAMED_MEMBERS_TABLE } from './audience-sql.ts';

/**
 * The embedded event store: one DuckDB file (tables in `event-store-sql.ts`). An append writes
 * its records as one NDJSON file and has DuckDB read it into rows (`read_ndjson`): DuckDB builds
 * the rows in C++, on its own thread, off the event loop, several times faster than appending
 * value by value from JS.
 * Writes and reads use separate connections (a connection runs one statement at a time). It is
 * also the audiences' history ({@link AudienceHistory}: a definition compiled to one query).
 */
export class DuckDbEventStore implements EventStore, AudienceHistory {
  private seq = 0;
  private valuesWriter: DuckDBConnection | undefined;
  private valuesPut: Promise<void> = Promise.resolve();
  /** History reads running (see {@link readHistory}). */
  private historyReads = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    private readonly stagingDir: string,
    private readonly threads: number,
  ) {}

  /**
   * Runs a read of history (a scan, a tally) on a connection of its own (a long read must not
   * hold up the reader's counts and lists), with one DuckDB thread per core: such reads are long
   * and rare, where the loads the store is configured for are small and frequent. DuckDB's thread
   * count is the instance's, so it is raised while any history read runs.
   */
  private async readHistory<T>(read: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    const cores = Math.max(availableParallelism(), this.threads);
    try {
      if (this.historyReads++ === 0 && cores > this.threads) await connection.run(`SET threads = ${cores}`);
      return await read(connection);
    } finally {
      if (--this.historyReads === 0 && cores > this.threads) await connection.run(`SET threads = ${this.threads}`);
      connection.closeSync();
    }
  }

  /**
   * `threads`: DuckDB's worker threads (its default is one per core). The processor loads small
   * chunks, for which one thread costs far less CPU than several waiting on each other's locks.
   */
  static async open(file: string, options: { threads?: number } = {}): Promise<DuckDbEventStore> {
    const stagingDir = file === ':memory:' ? mkdtempSync(join(tmpdir(), 'quanta-events-')) : `${file}.staging`;
    mkdirSync(stagingDir, { recursive: true });
    const threads = options.threads ?? 1;
    const instance = await DuckDBInstance.create(file, { threads: String(threads) });
    const writer = await instance.connect();
    try {
      await migrateDuckDb(writer, 'events', EVENT_STORE_MIGRATIONS);
      await writer.run(EVENTS_WIDE_VIEW);
    } catch (error) {
      // A store that does not open leaves nothing open: the file stays free for another try.
      writer.closeSync();
      instance.closeSync();
      rmSync(stagingDir, { recursive: true, force: true });
      throw error;
    }
    return new DuckDbEventStore(instance, writer, await instance.connect(), stagingDir, threads);
  }

  async append(records: readonly LogRecord[]): Promise<void> {
    // A batch without events is stored too: what it says of its user (attributes, identities, consent) is history audiences read.
    const lines = records.map(lineOf);
    await this.load(this.writer, 'append', lines, loadStatements);
  }

  async batchesOf(ws: WorkspaceId, mpid: Mpid, after: BatchCursor | null, limit: number): Promise<StoredBatch[]> {
    const r = await this.reader.runAndReadAll(BATCHES_OF, [ws, mpid, after?.partition ?? -1, after?.logOffset ?? -1, Math.max(0, Math.trunc(limit))]);
    return r.getRows().map(storedBatchOf);
  }

  async putCalculatedValues(rows: readonly CalculatedValueRow[]): Promise<void> {
    // One line per user, the last put winning.
    const byUser = new Map<string, CalculatedValueRow>();
    for (const r of rows) byUser.set(`${r.workspaceId}\u0000${r.mpid}`, r);
    const lines = [...byUser.values()].map((r) => JSON.stringify({ w: r.workspaceId, m: r.mpid, v: r.values, t: Math.trunc(r.asOfMs) }));
    // Its own connection (appends run their transactions on the writer's meanwhile), one put at a time.
    const put = this.valuesPut.catch(() => undefined).then(async () => {
      this.valuesWriter ??= await this.instance.connect();
      await this.load(this.valuesWriter, 'values', lines, putValuesStatements);
    });
    this.valuesPut = put;
    await put;
  }

  async calculatedValues(ws: WorkspaceId, mpid: Mpid): Promise<CalculatedValueRow | undefined> {
    const r = await this.reader.runAndReadAll(
      'SELECT "values", epoch_ms(as_of) AS t FROM calculated_values WHERE workspace_id = $1 AND mpid = CAST($2 AS BIGINT)',
      [ws, mpid],
    );
    const [row] = r.getRows();
    return row && { workspaceId: ws, mpid, values: JSON.parse(String(row[0])) as CalculatedValueRow['values'], asOfMs: Number(row[1]) };
  }

  /** On a connection of its own: its transaction must not take in an append running on the writer's. */
  async eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    if (mpids.length === 0) return 0;
    const connection = await this.instance.connect();
    try {
      await connection.run('BEGIN TRANSACTION');
      try {
        let removed = 0;
        for (const sql of eraseUsersStatements(mpidList(mpids))) removed += Number((await connection.run(sql, [ws])).rowsChanged);
        await connection.run('COMMIT');
        return removed;
      } catch (error) {
        await connection.run('ROLLBACK');
        throw error;
      }
    } finally {
      connection.closeSync();
    }
  }

  /** Writes NDJSON lines to a staging file and runs the statements loading it, in one transaction. */
  private async load(connection: DuckDBConnection, kind: string, lines: readonly string[], statements: (file: string) => string[]): Promise<void> {
    if (lines.length === 0) return;
    const file = join(this.stagingDir, `${kind}-${process.pid}-${++this.seq}.ndjson`);
    await writeFile(file, lines.join('\n'));
    try {
      await connection.run('BEGIN TRANSACTION');
      try {
        for (const sql of statements(file)) await connection.run(sql);
        await connection.run('COMMIT');
      } catch (error) {
        await connection.run('ROLLBACK');
        throw error;
      }
    } finally {
      await rm(file, { force: true });
    }
  }

  async truncateAfter(partition: number, offset: number): Promise<number> {
    const r = await this.writer.run('DELETE FROM events WHERE partition = $1 AND log_offset > $2', [partition, offset]);
    await this.writer.run('DELETE FROM batches WHERE partition = $1 AND log_offset > $2', [partition, offset]);
    return Number(r.rowsChanged);
  }

  async clear(): Promise<void> {
    await this.writer.run('DELETE FROM events');
    await this.writer.run('DELETE FROM batches');
    await this.writer.run('DELETE FROM calculated_values');
    await this.writer.run('CHECKPOINT');
  }

  async copyEvents(ws: WorkspaceId, from: Mpid, to: Mpid, startMs: number, endMs: number): Promise<number> {
    const r = await this.writer.run(COPY_EVENTS, [ws, from, to, startMs, endMs]);
    return Number(r.rowsChanged);
  }

  async count(filter: EventFilter): Promise<number> {
    const { where, params } = toWhere(filter);
    // The input is the batch's: only the wide view has it.
    const r = await this.reader.runAndReadAll(`SELECT count(*) AS n FROM ${filter.inputIds ? 'events_wide' : 'events'} WHERE ${where}`, params);
    return Number(r.getRowObjectsJS()[0]?.n ?? 0);
  }

  async list(filter: EventFilter, limit: number): Promise<StoredEvent[]> {
    const { where, params } = toWhere(filter);
    const r = await this.reader.runAndReadAll(
      `SELECT *, epoch_ms(event_time) AS ts, epoch_ms(received_at) AS rcv, mpid::VARCHAR AS mpid_text, aliased_from::VARCHAR AS aliased_text
       FROM events_wide WHERE ${where} ORDER BY event_id, aliased_from NULLS FIRST LIMIT ${Math.max(0, Math.trunc(limit))}`,
      params,
    );
    return r.getRowObjectsJS().map(toStoredEvent);
  }

  async scan(query: EventScan, onChunk: (events: ScannedEvent[]) => Promise<void>): Promise<void> {
    const where = scanWhere(query);
    if (!where) return;
    await this.readHistory(async (connection) => {
      // `events` alone (no join): a computation needs the events, not what their batches share.
      const result = await connection.stream(
        // Ordered by the MPID as a number (an alias named `mpid` would order by its text), as `afterMpid` resumes.
        `SELECT mpid::VARCHAR AS mpid_text, event_type, data, epoch_ms(event_time) AS ts, partition, log_offset
         FROM events WHERE ${where.sql} ORDER BY mpid, event_time, log_offset, event_index`,
        where.params,
      );
      for await (const rows of result.yieldRows()) {
        await onChunk(
          rows.map(([mpid, eventType, data, ts, partition, offset]) => ({
            mpid: String(mpid) as Mpid,
            eventType: eventType as EventType,
            data: JSON.parse(String(data)) as Record<string, unknown>,
            timestampMs: Number(ts),
            partition: Number(partition),
            logOffset: Number(offset),
          })),
        );
      }
    });
  }

  async scanUsers(query: EventScan): Promise<number> {
    const where = scanWhere(query);
    if (!where) return 0;
    const r = await this.reader.runAndReadAll(`SELECT count(DISTINCT mpid) AS n FROM events WHERE ${where.sql}`, where.params);
    return Number(r.getRowObjectsJS()[0]?.n ?? 0);
  }

  async users(ws: WorkspaceId, afterMpid: Mpid | null, limit: number): Promise<{ mpid: Mpid; identities: Record<string, string> }[]> {
    const r = await this.reader.runAndReadAll(
      `SELECT mpid::VARCHAR AS mpid_text, arg_max(user_identities, (received_at, partition, log_offset))::VARCHAR AS identities FROM batches
       WHERE workspace_id = $1 AND ($2::VARCHAR IS NULL OR mpid > CAST($2 AS BIGINT))
       GROUP BY mpid ORDER BY mpid LIMIT ${Math.max(0, Math.trunc(limit))}`,
      [ws, afterMpid],
    );
    return r.getRows().map(([mpid, identities]) => ({ mpid: String(mpid) as Mpid, identities: identitiesOf(JSON.parse(String(identities)) as Record<string, unknown>) }));
  }

  async userCount(ws: WorkspaceId, inputIds?: readonly InputId[]): Promise<number> {
    const r = await this.reader.runAndReadAll(`SELECT count(DISTINCT mpid) AS n FROM batches WHERE workspace_id = $1${inputIds ? ` AND ${inputsSql(inputIds)}` : ''}`, [ws]);
    return Number(r.getRowObjectsJS()[0]?.n ?? 0);
  }

  async tally(
    query: EventScan,
    bucketMs: number | undefined,
    onUsers: (users: number) => Promise<void>,
    onChunk: (tallies: EventTally[]) => Promise<void>,
  ): Promise<void> {
    const where = scanWhere(query);
    if (!where) return onUsers(0);
    const bucket = bucketMs === undefined ? 'NULL::BIGINT' : `(epoch_ms(event_time) // ${Math.trunc(bucketMs)}) * ${Math.trunc(bucketMs)}`;
    await this.readHistory(async (connection) => {
      // One aggregate, materialised in DuckDB (tallies are a fraction of the events) and read a
      // chunk at a time: its users are counted from the chunks' first column before any is handed on.
      const result = await connection.run(
        `SELECT mpid::VARCHAR AS mpid_text, ${bucket} AS bucket, count(*) AS n, min(epoch_ms(event_time)) AS first_ms, max(epoch_ms(event_time)) AS last_ms
         FROM events WHERE ${where.sql} GROUP BY mpid, bucket ORDER BY mpid, bucket`,
        where.params,
      );
      let users = 0;
      let previous: unknown;
      for (let i = 0; i < result.chunkCount; i++) {
        for (const mpid of result.getChunk(i).getColumnValues(0)) {
          if (mpid !== previous) users++;
          previous = mpid;
        }
      }
      await onUsers(users);
      for (let i = 0; i < result.chunkCount; i++) {
        await onChunk(
          result.getChunk(i).getRows().map(([mpid, start, n, first, last]) => ({
            mpid: String(mpid) as Mpid,
            bucketStartMs: start === null ? null : Number(start),
            events: Number(n),
            firstMs: Number(first),
            lastMs: Number(last),
          })),
        );
      }
    });
  }

  async selectUsers(selection: AudienceSelection, onChunk: (mpids: Mpid[]) => Promise<void>, onProgress?: (percent: number) => void): Promise<SelectionCounts> {
    return this.readHistory(async (connection) => {
      await connection.run(`CREATE OR REPLACE TEMP TABLE ${NAMED_MEMBERS_TABLE} (audience_id INTEGER NOT NULL, mpid BIGINT NOT NULL)`);
      for (const [id, mpids] of selection.members) {
        for (let i = 0; i < mpids.length; i += 1000) {
          // MPIDs are integers (`parseMpid`); each is checked before it is written as a literal.
          const rows = mpids.slice(i, i + 1000).map((m) => {
            if (!/^-?\d+$/.test(m)) throw new Error(`not an MPID: ${JSON.stringify(m)}`);
            return `(${Math.trunc(id)}, ${m})`;
          });
          await connection.run(`INSERT INTO ${NAMED_MEMBERS_TABLE} VALUES ${rows.join(', ')}`);
        }
      }
      // DuckDB tracks a query's progress only with its progress bar on (printing nothing here).
      await connection.run('SET enable_progress_bar = true; SET enable_progress_bar_print = false');
      const watch = onProgress && setInterval(() => {
        const { percentage } = connection.progress;
        if (percentage >= 0) onProgress(Math.min(100, percentage));
      }, 250);
      try {
        await connection.run(`CREATE OR REPLACE TEMP TABLE selection_users AS ${audienceSql(selection)}`);
      } finally {
        clearInterval(watch);
      }
      const counts = await connection.runAndReadAll('SELECT count(*) AS users, count(*) FILTER (WHERE member) AS members FROM selection_users');
      const [users, members] = counts.getRows()[0]!.map(Number) as [number, number];
      const result = await connection.stream('SELECT mpid::VARCHAR FROM selection_users WHERE member ORDER BY mpid');
      for await (const rows of result.yieldRows()) await onChunk(rows.map(([mpid]) => String(mpid) as Mpid));
      return { users, members };
    });
  }

  async close(): Promise<void> {
    await this.valuesPut.catch(() => undefined);
    this.reader.closeSync();
    this.writer.closeSync();
    this.valuesWriter?.closeSync();
    rmSync(this.stagingDir, { recursive: true, force: true });
    this.instance.closeSync();
  }
}

/** A batch's identities that have a value. */
function identitiesOf(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
}

/** A scan's WHERE clause over `events` (and `events_wide`); undefined when it selects nothing. */
function scanWhere(query: EventScan): { sql: string; params: (string | number)[] } | undefined {
  const clauses = ['workspace_id = $1', 'aliased_from IS NULL'];
  const params: (string | number)[] = [query.workspaceId];
  if (query.eventTypes) {
    if (query.eventTypes.length === 0) return undefined;
    clauses.push(`event_type IN (${query.eventTypes.map((t) => (params.push(t), `$${params.length}`)).join(', ')})`);
  }
  if (query.eventName !== undefined) {
    params.push(query.eventName);
    clauses.push(`event_name = $${params.length}`);
  }
  if (query.customEventType !== undefined) {
    params.push(query.customEventType);
    clauses.push(`custom_event_type = $${params.length}`);
  }
  if (query.sinceMs !== undefined) {
    params.push(query.sinceMs);
    clauses.push(`event_time >= make_timestamp($${params.length}::BIGINT * 1000)`);
  }
  for (const any of query.dataFields ?? []) {
    if (any.length === 0) return undefined;
    clauses.push(`(${any.map((match) => dataFieldSql(match, params)).join(' OR ')})`);
  }
  if (query.afterMpid !== undefined) {
    params.push(query.afterMpid);
    clauses.push(`mpid > CAST($${params.length} AS BIGINT)`);
  }
  if (query.upTo) {
    if (query.upTo.size === 0) return undefined;
    const ranges = [...query.upTo].map(([partition, offset]) => `(partition = ${Math.trunc(partition)} AND log_offset <= ${Math.trunc(offset)})`);
    clauses.push(`(${ranges.join(' OR ')})`);
  }
  return { sql: clauses.join(' AND '), params };
}

/** A {@link DataFieldMatch} over the `data` column, its values as parameters. */
function dataFieldSql(match: DataFieldMatch, params: (string | number)[]): string {
  if (match.path.length === 0 || !match.path.every((key) => /^[A-Za-z0-9_]+$/.test(key))) {
    throw new Error(`A data field path is keys of letters, digits and underscores: ${JSON.stringify(match.path)}`);
  }
  const path = `'$.${match.path.join('.')}'`;
  const values = match.anyOf.map((v) => (params.push(v), `$${params.length}`));
  const equals = values.length === 0 ? 'false' : `json_extract_string(data, ${path}) IN (${values.join(', ')})`;
  if (!match.orMissing) return equals;
  return `(${equals} OR json_type(data, ${path}) IS DISTINCT FROM 'VARCHAR' OR json_extract_string(data, ${path}) = '')`;
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
  if (filter.inputIds !== undefined) clauses.push(inputsSql(filter.inputIds));
  return { where: clauses.join(' AND '), params };
}

/** `input_id` is one of these (ids are integers, written as such); no inputs matches nothing. */
const inputsSql = (ids: readonly InputId[]): string => (ids.length === 0 ? 'FALSE' : `input_id IN (${ids.map((id) => Math.trunc(id)).join(', ')})`);

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
    aliasedFrom: row.aliased_text === null || row.aliased_text === undefined ? null : (parseMpid(row.aliased_text) as Mpid),
    violations: row.violations === null || row.violations === undefined ? null : (JSON.parse(String(row.violations)) as object[]),
  };
}
