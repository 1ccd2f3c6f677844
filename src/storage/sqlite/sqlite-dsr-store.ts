import type Database from 'better-sqlite3';
import type { WorkspaceId } from '../../kernel/ids.ts';
import { workspaceId } from '../../kernel/ids.ts';
import { type DsrCallback, type DsrRecord, type NewCallback, type RecordUpdate, REQUEST_STATUSES, type RequestStatus } from '../../privacy/dsr.ts';
import type { CallbackOutcome, CreateOutcome, DsrStore } from '../../privacy/dsr-store.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

type Statement = Database.Statement<unknown[]>;

/** The DSR store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const DSR_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'data subject requests and their status callbacks',
    up: `
      CREATE TABLE IF NOT EXISTS dsr_requests (
        workspace_id INTEGER NOT NULL, subject_request_id TEXT NOT NULL, version TEXT NOT NULL, request_type TEXT NOT NULL,
        regulation TEXT, submitted_time TEXT NOT NULL, raw TEXT NOT NULL, identities TEXT NOT NULL, mpids TEXT NOT NULL,
        callback_urls TEXT NOT NULL, group_id TEXT, skip_waiting_period INTEGER NOT NULL, fingerprint TEXT NOT NULL,
        status TEXT NOT NULL, history TEXT NOT NULL, received_at_ms INTEGER NOT NULL, due_at_ms INTEGER NOT NULL,
        expected_completion_ms INTEGER, resolution TEXT, forwarding TEXT, erasure TEXT, results TEXT,
        results_expire_at_ms INTEGER, results_removed_at_ms INTEGER, attempts INTEGER NOT NULL, last_error TEXT,
        PRIMARY KEY (workspace_id, subject_request_id)
      );
      CREATE INDEX IF NOT EXISTS dsr_requests_by_group ON dsr_requests (workspace_id, group_id, received_at_ms);
      CREATE INDEX IF NOT EXISTS dsr_requests_open ON dsr_requests (workspace_id, fingerprint) WHERE status IN ('pending', 'in_progress');
      CREATE INDEX IF NOT EXISTS dsr_requests_due ON dsr_requests (due_at_ms) WHERE status IN ('pending', 'in_progress');
      CREATE INDEX IF NOT EXISTS dsr_requests_by_time ON dsr_requests (received_at_ms);
      CREATE INDEX IF NOT EXISTS dsr_requests_results ON dsr_requests (results_expire_at_ms)
        WHERE results_expire_at_ms IS NOT NULL AND results_removed_at_ms IS NULL;
      CREATE TABLE IF NOT EXISTS dsr_callbacks (
        id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL, subject_request_id TEXT NOT NULL,
        url TEXT NOT NULL, version TEXT NOT NULL, body TEXT NOT NULL, created_at_ms INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, next_try_at_ms INTEGER NOT NULL, last_error TEXT,
        delivered_at_ms INTEGER, given_up INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS dsr_callbacks_open ON dsr_callbacks (next_try_at_ms) WHERE delivered_at_ms IS NULL AND given_up = 0;
      CREATE INDEX IF NOT EXISTS dsr_callbacks_by_request ON dsr_callbacks (workspace_id, subject_request_id, url, id);
    `,
  },
];

interface RequestRow {
  workspace_id: number;
  subject_request_id: string;
  version: string;
  request_type: string;
  regulation: string | null;
  submitted_time: string;
  raw: string;
  identities: string;
  mpids: string;
  callback_urls: string;
  group_id: string | null;
  skip_waiting_period: number;
  fingerprint: string;
  status: string;
  history: string;
  received_at_ms: number;
  due_at_ms: number;
  expected_completion_ms: number | null;
  resolution: string | null;
  forwarding: string | null;
  erasure: string | null;
  results: string | null;
  results_expire_at_ms: number | null;
  results_removed_at_ms: number | null;
  attempts: number;
  last_error: string | null;
}

interface CallbackRow {
  id: number;
  workspace_id: number;
  subject_request_id: string;
  url: string;
  version: string;
  body: string;
  created_at_ms: number;
  attempts: number;
  next_try_at_ms: number;
  last_error: string | null;
  delivered_at_ms: number | null;
  given_up: number;
}

const json = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));
const text = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

const toRecord = (r: RequestRow): DsrRecord => ({
  workspaceId: workspaceId(r.workspace_id),
  subjectRequestId: r.subject_request_id,
  version: r.version as DsrRecord['version'],
  requestType: r.request_type as DsrRecord['requestType'],
  regulation: r.regulation as DsrRecord['regulation'],
  submittedTime: r.submitted_time,
  raw: r.raw,
  identities: JSON.parse(r.identities) as DsrRecord['identities'],
  mpids: JSON.parse(r.mpids) as DsrRecord['mpids'],
  statusCallbackUrls: JSON.parse(r.callback_urls) as string[],
  groupId: r.group_id,
  skipWaitingPeriod: r.skip_waiting_period === 1,
  fingerprint: r.fingerprint,
  status: r.status as RequestStatus,
  history: JSON.parse(r.history) as DsrRecord['history'],
  receivedAtMs: r.received_at_ms,
  dueAtMs: r.due_at_ms,
  expectedCompletionMs: r.expected_completion_ms,
  resolution: json(r.resolution),
  forwarding: json(r.forwarding),
  erasure: json(r.erasure),
  results: json(r.results),
  resultsExpireAtMs: r.results_expire_at_ms,
  resultsRemovedAtMs: r.results_removed_at_ms,
  attempts: r.attempts,
  lastError: r.last_error,
});

const toCallback = (r: CallbackRow): DsrCallback => ({
  id: r.id,
  workspaceId: workspaceId(r.workspace_id),
  subjectRequestId: r.subject_request_id,
  url: r.url,
  version: r.version as DsrCallback['version'],
  body: r.body,
  createdAtMs: r.created_at_ms,
  attempts: r.attempts,
  nextTryAtMs: r.next_try_at_ms,
  lastError: r.last_error,
  deliveredAtMs: r.delivered_at_ms,
  givenUp: r.given_up === 1,
});

/** Each {@link RecordUpdate} field and its column, as it is written. */
const UPDATE_COLUMNS: { readonly [K in keyof Required<RecordUpdate>]: readonly [string, (v: RecordUpdate[K]) => unknown] } = {
  dueAtMs: ['due_at_ms', (v) => v],
  expectedCompletionMs: ['expected_completion_ms', (v) => v],
  resolution: ['resolution', text],
  forwarding: ['forwarding', text],
  erasure: ['erasure', text],
  results: ['results', text],
  resultsExpireAtMs: ['results_expire_at_ms', (v) => v],
  resultsRemovedAtMs: ['results_removed_at_ms', (v) => v],
  attempts: ['attempts', (v) => v],
  lastError: ['last_error', (v) => v],
};

/** What `dueCallbacks` reads: the open callbacks come due, each the oldest open one of its request and URL. */
export const DUE_CALLBACKS_SQL = `
  SELECT * FROM dsr_callbacks c
  WHERE c.delivered_at_ms IS NULL AND c.given_up = 0 AND c.next_try_at_ms <= ?
    AND NOT EXISTS (
      SELECT 1 FROM dsr_callbacks e
      WHERE e.workspace_id = c.workspace_id AND e.subject_request_id = c.subject_request_id AND e.url = c.url
        AND e.id < c.id AND e.delivered_at_ms IS NULL AND e.given_up = 0)
  ORDER BY c.next_try_at_ms, c.id LIMIT ?`;

/**
 * Data subject requests in SQLite (the state file): a row per request with its lists and
 * outcomes as JSON, and a row per callback. Every write is one transaction with `openSqlite`'s
 * fsync: a request acknowledged with 201 is on disk.
 */
export class SqliteDsrStore implements DsrStore {
  private readonly db: Sqlite;
  private readonly selectRequest;
  private readonly insertCallback;
  private readonly createTx;
  private readonly transitionTx;
  private readonly purgeTx;
  /** Writes asked for in the same turn of the event loop, committed together (see {@link grouped}). */
  private queued: { run: () => unknown; resolve: (value: never) => void; reject: (error: unknown) => void }[] = [];
  private readonly groupTx;
  /** Statements compiled on first use (the update of a set of fields, the callbacks' outcomes...), kept. */
  private readonly statements = new Map<string, Statement>();

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'dsr', DSR_MIGRATIONS, options);
    this.selectRequest = this.db.prepare('SELECT * FROM dsr_requests WHERE workspace_id = ? AND subject_request_id = ?');
    const selectOpen = this.db.prepare(
      "SELECT subject_request_id FROM dsr_requests WHERE workspace_id = ? AND fingerprint = ? AND status IN ('pending', 'in_progress') LIMIT 1",
    );
    const insertRequest = this.db.prepare(
      `INSERT INTO dsr_requests (workspace_id, subject_request_id, version, request_type, regulation, submitted_time, raw, identities, mpids,
         callback_urls, group_id, skip_waiting_period, fingerprint, status, history, received_at_ms, due_at_ms, expected_completion_ms,
         resolution, forwarding, erasure, results, results_expire_at_ms, results_removed_at_ms, attempts, last_error)
       VALUES (@ws, @id, @version, @type, @regulation, @submitted, @raw, @identities, @mpids, @urls, @group, @skip, @fingerprint, @status,
         @history, @received, @due, @expected, @resolution, @forwarding, @erasure, @results, @expires, @removed, @attempts, @error)`,
    );
    this.insertCallback = this.db.prepare(
      'INSERT INTO dsr_callbacks (workspace_id, subject_request_id, url, version, body, created_at_ms, next_try_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const queue = (ws: WorkspaceId, id: string, atMs: number, callbacks: readonly NewCallback[]) => {
      for (const c of callbacks) this.insertCallback.run(ws, id, c.url, c.version, c.body, atMs, atMs);
    };
    this.createTx = this.db.transaction((r: DsrRecord, callbacks: readonly NewCallback[]): CreateOutcome => {
      if (this.selectRequest.get(r.workspaceId, r.subjectRequestId)) return { kind: 'exists' };
      const open = selectOpen.pluck().get(r.workspaceId, r.fingerprint) as string | undefined;
      if (open !== undefined) return { kind: 'open', subjectRequestId: open };
      insertRequest.run({
        ws: r.workspaceId,
        id: r.subjectRequestId,
        version: r.version,
        type: r.requestType,
        regulation: r.regulation,
        submitted: r.submittedTime,
        raw: r.raw,
        identities: JSON.stringify(r.identities),
        mpids: JSON.stringify(r.mpids),
        urls: JSON.stringify(r.statusCallbackUrls),
        group: r.groupId,
        skip: r.skipWaitingPeriod ? 1 : 0,
        fingerprint: r.fingerprint,
        status: r.status,
        history: JSON.stringify(r.history),
        received: r.receivedAtMs,
        due: r.dueAtMs,
        expected: r.expectedCompletionMs,
        resolution: text(r.resolution),
        forwarding: text(r.forwarding),
        erasure: text(r.erasure),
        results: text(r.results),
        expires: r.resultsExpireAtMs,
        removed: r.resultsRemovedAtMs,
        attempts: r.attempts,
        error: r.lastError,
      });
      queue(r.workspaceId, r.subjectRequestId, r.receivedAtMs, callbacks);
      return { kind: 'created' };
    });
    this.transitionTx = this.db.transaction(
      (ws: WorkspaceId, id: string, from: readonly RequestStatus[], change: { status: RequestStatus; atMs: number }, update: RecordUpdate, callbacks: readonly NewCallback[]) => {
        const row = this.selectRequest.get(ws, id) as RequestRow | undefined;
        if (!row || !from.includes(row.status as RequestStatus)) return undefined;
        const history = [...(JSON.parse(row.history) as DsrRecord['history']), change];
        this.statement('UPDATE dsr_requests SET status = ?, history = ? WHERE workspace_id = ? AND subject_request_id = ?').run(change.status, JSON.stringify(history), ws, id);
        this.write(ws, id, update);
        queue(ws, id, change.atMs, callbacks);
        return toRecord(this.selectRequest.get(ws, id) as RequestRow);
      },
    );
    this.groupTx = this.db.transaction((runs: readonly (() => unknown)[]) => runs.map((run) => run()));
    this.purgeTx = this.db.transaction((beforeMs: number) => {
      const old = this.statement('SELECT workspace_id, subject_request_id, results FROM dsr_requests WHERE received_at_ms < ?').all(beforeMs) as Pick<RequestRow, 'workspace_id' | 'subject_request_id' | 'results'>[];
      const dropCallbacks = this.statement('DELETE FROM dsr_callbacks WHERE workspace_id = ? AND subject_request_id = ?');
      const dropRequest = this.statement('DELETE FROM dsr_requests WHERE workspace_id = ? AND subject_request_id = ?');
      const files: string[] = [];
      for (const r of old) {
        dropCallbacks.run(r.workspace_id, r.subject_request_id);
        dropRequest.run(r.workspace_id, r.subject_request_id);
        const results = json<DsrRecord['results']>(r.results);
        if (results?.kind === 'file') files.push(results.path);
      }
      return { requests: old.length, files };
    });
  }

  /** The statement for `sql`, compiled once. */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private write(ws: WorkspaceId, id: string, update: RecordUpdate): void {
    const entries = (Object.keys(update) as (keyof RecordUpdate)[]).filter((k) => update[k] !== undefined);
    if (entries.length === 0) return;
    const columns = entries.map((k) => `${UPDATE_COLUMNS[k][0]} = ?`).join(', ');
    const values = entries.map((k) => (UPDATE_COLUMNS[k][1] as (v: unknown) => unknown)(update[k]));
    this.statement(`UPDATE dsr_requests SET ${columns} WHERE workspace_id = ? AND subject_request_id = ?`).run(...values, ws, id);
  }

  /**
   * Runs a write in the transaction of every write asked for in the same turn of the event loop:
   * one commit (one fsync, on the app thread's event loop) for the requests a burst of DSR API
   * calls or a run of due requests writes, each write in order and in its own savepoint. A group
   * that fails is run again write by write, so one write's failure is its own.
   */
  private grouped<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.commitQueued());
      this.queued.push({ run, resolve: resolve as (value: never) => void, reject });
    });
  }

  private commitQueued(): void {
    const group = this.queued;
    this.queued = [];
    try {
      const results = this.groupTx.immediate(group.map((g) => g.run));
      group.forEach((g, i) => g.resolve(results[i] as never));
    } catch {
      for (const g of group) {
        try {
          g.resolve(this.groupTx.immediate([g.run])[0] as never);
        } catch (error) {
          g.reject(error);
        }
      }
    }
  }

  async create(record: DsrRecord, callbacks: readonly NewCallback[]): Promise<CreateOutcome> {
    return this.grouped(() => this.createTx(record, callbacks));
  }

  async request(ws: WorkspaceId, subjectRequestId: string): Promise<DsrRecord | undefined> {
    const row = this.selectRequest.get(ws, subjectRequestId) as RequestRow | undefined;
    return row && toRecord(row);
  }

  async group(ws: WorkspaceId, groupId: string): Promise<DsrRecord[]> {
    const rows = this.statement('SELECT * FROM dsr_requests WHERE workspace_id = ? AND group_id = ? ORDER BY received_at_ms, subject_request_id').all(ws, groupId) as RequestRow[];
    return rows.map(toRecord);
  }

  async transition(...args: Parameters<DsrStore['transition']>): Promise<DsrRecord | undefined> {
    return this.grouped(() => this.transitionTx(...args));
  }

  async update(ws: WorkspaceId, subjectRequestId: string, update: RecordUpdate): Promise<void> {
    return this.grouped(() => this.write(ws, subjectRequestId, update));
  }

  async due(nowMs: number, limit: number): Promise<DsrRecord[]> {
    const rows = this.db
      .prepare("SELECT * FROM dsr_requests WHERE status IN ('pending', 'in_progress') AND due_at_ms <= ? ORDER BY due_at_ms, subject_request_id LIMIT ?")
      .all(nowMs, limit) as RequestRow[];
    return rows.map(toRecord);
  }

  async countByStatus(): Promise<Record<RequestStatus, number>> {
    const counts = Object.fromEntries(REQUEST_STATUSES.map((s) => [s, 0])) as Record<RequestStatus, number>;
    const rows = this.statement('SELECT status, count(*) AS n FROM dsr_requests GROUP BY status').all() as { status: RequestStatus; n: number }[];
    for (const r of rows) counts[r.status] = r.n;
    return counts;
  }

  async dueCallbacks(nowMs: number, limit: number): Promise<DsrCallback[]> {
    return (this.statement(DUE_CALLBACKS_SQL).all(nowMs, limit) as CallbackRow[]).map(toCallback);
  }

  async settleCallback(id: number, outcome: CallbackOutcome): Promise<void> {
    switch (outcome.kind) {
      case 'delivered':
        this.statement('UPDATE dsr_callbacks SET attempts = attempts + 1, delivered_at_ms = ? WHERE id = ?').run(outcome.atMs, id);
        return;
      case 'retry':
        this.statement('UPDATE dsr_callbacks SET attempts = attempts + 1, last_error = ?, next_try_at_ms = ? WHERE id = ?').run(outcome.error, outcome.nextTryAtMs, id);
        return;
      case 'given_up':
        this.statement('UPDATE dsr_callbacks SET attempts = attempts + 1, last_error = ?, given_up = 1 WHERE id = ?').run(outcome.error, id);
        return;
      default: {
        const never: never = outcome;
        throw new Error(`unknown callback outcome ${JSON.stringify(never)}`);
      }
    }
  }

  async callbacks(ws: WorkspaceId, subjectRequestId: string): Promise<DsrCallback[]> {
    const rows = this.statement('SELECT * FROM dsr_callbacks WHERE workspace_id = ? AND subject_request_id = ? ORDER BY id').all(ws, subjectRequestId) as CallbackRow[];
    return rows.map(toCallback);
  }

  async expiredResults(nowMs: number): Promise<DsrRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM dsr_requests WHERE results_expire_at_ms IS NOT NULL AND results_removed_at_ms IS NULL AND results_expire_at_ms <= ?')
      .all(nowMs) as RequestRow[];
    return rows.map(toRecord);
  }

  async purge(beforeMs: number): Promise<{ requests: number; files: string[] }> {
    return this.purgeTx.immediate(beforeMs);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
