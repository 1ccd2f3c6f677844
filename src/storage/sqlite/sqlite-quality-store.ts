import type { InputId, Mpid, WorkspaceId } from '../../kernel/ids.ts';
import type { ValidationErrorType } from '../../planning/data-plan.ts';
import type {
  BlockedBatch,
  BlockedQuery,
  DataQualityStore,
  QualityFlush,
  ViolationCount,
} from '../../planning/quality-store.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

interface BlockedRow {
  id: number;
  workspace_id: number;
  input_id: number;
  mpid: string;
  plan_id: string;
  version: number;
  partition: number;
  log_offset: number;
  received_at_ms: number;
  whole_batch: number;
  metadata: string;
  backfilled_at_ms: number | null;
}

interface ViolationRow {
  workspace_id: number;
  plan_id: string;
  version: number;
  subject: string;
  violation_type: string;
  key: string;
  count: number;
  first_seen_ms: number;
  last_seen_ms: number;
}

/** The quality store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const QUALITY_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'quarantine, plan violation counts and applied offsets',
    up: `
      CREATE TABLE IF NOT EXISTS quarantine (
        id INTEGER PRIMARY KEY,
        workspace_id INTEGER NOT NULL, input_id INTEGER NOT NULL, mpid TEXT NOT NULL,
        plan_id TEXT NOT NULL, version INTEGER NOT NULL,
        partition INTEGER NOT NULL, log_offset INTEGER NOT NULL,
        received_at_ms INTEGER NOT NULL, whole_batch INTEGER NOT NULL,
        metadata TEXT NOT NULL, backfilled_at_ms INTEGER,
        UNIQUE (partition, log_offset)
      );
      CREATE INDEX IF NOT EXISTS quarantine_by_plan ON quarantine (workspace_id, plan_id, version, id);
      CREATE TABLE IF NOT EXISTS plan_violations (
        workspace_id INTEGER NOT NULL, plan_id TEXT NOT NULL, version INTEGER NOT NULL,
        subject TEXT NOT NULL, violation_type TEXT NOT NULL, key TEXT NOT NULL,
        count INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, plan_id, version, subject, violation_type, key)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS quality_offsets (partition INTEGER PRIMARY KEY, log_offset INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    description: "blocked batches indexed by user (erasing a user's)",
    up: 'CREATE INDEX quarantine_by_user ON quarantine (workspace_id, mpid)',
  },
];

/** What `eraseUsers` deletes of each user: exported so that the adapter's test can check it searches `quarantine_by_user`. */
export const ERASE_USER_SQL = 'DELETE FROM quarantine WHERE workspace_id = ? AND mpid = ?';

/**
 * Blocked data and violation counts in SQLite (the state file). Counts are derived data and are
 * written with `synchronous = NORMAL` like profiles; blocked batches are rebuilt from the log by
 * a replay if a power cut loses the last commits.
 */
export class SqliteQualityStore implements DataQualityStore {
  private readonly db: Sqlite;
  private readonly recordTx;
  private readonly selectOffsets;
  private readonly markTx;
  private readonly eraseTx;

  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'quality', QUALITY_MIGRATIONS, options);
    this.db.pragma('synchronous = NORMAL');
    const insertBlocked = this.db.prepare(`
      INSERT OR IGNORE INTO quarantine
        (workspace_id, input_id, mpid, plan_id, version, partition, log_offset, received_at_ms, whole_batch, metadata)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const addViolation = this.db.prepare(`
      INSERT INTO plan_violations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET count = count + excluded.count,
        first_seen_ms = min(first_seen_ms, excluded.first_seen_ms), last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`);
    const setOffset = this.db.prepare(`
      INSERT INTO quality_offsets VALUES (?, ?)
      ON CONFLICT DO UPDATE SET log_offset = max(log_offset, excluded.log_offset)`);
    this.recordTx = this.db.transaction((flush: QualityFlush) => {
      for (const b of flush.blocked) {
        insertBlocked.run(
          b.workspaceId, b.inputId, b.mpid, b.planId, b.version, b.partition, b.offset, b.receivedAtMs,
          b.wholeBatch ? 1 : 0, JSON.stringify(b.metadata),
        );
      }
      for (const v of flush.violations) {
        addViolation.run(v.workspaceId, v.planId, v.version, v.subject, v.violationType, v.key, v.count, v.firstSeenMs, v.lastSeenMs);
      }
      for (const [partition, offset] of flush.offsets) setOffset.run(partition, offset);
    });
    this.selectOffsets = this.db.prepare('SELECT partition, log_offset FROM quality_offsets');
    const mark = this.db.prepare('UPDATE quarantine SET backfilled_at_ms = ? WHERE workspace_id = ? AND id = ? AND backfilled_at_ms IS NULL');
    this.markTx = this.db.transaction((ws: WorkspaceId, ids: readonly number[], atMs: number) => {
      for (const id of ids) mark.run(atMs, ws, id);
    });
    const erase = this.db.prepare(ERASE_USER_SQL);
    this.eraseTx = this.db.transaction((ws: WorkspaceId, mpids: readonly Mpid[]) =>
      mpids.reduce((n, mpid) => n + erase.run(ws, mpid).changes, 0),
    );
  }

  async record(flush: QualityFlush): Promise<void> {
    this.recordTx(flush);
  }

  async appliedOffsets(): Promise<Map<number, number>> {
    const rows = this.selectOffsets.all() as { partition: number; log_offset: number }[];
    return new Map(rows.map((r) => [r.partition, r.log_offset]));
  }

  async violations(ws: WorkspaceId, planId: string, version?: number): Promise<ViolationCount[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM plan_violations WHERE workspace_id = ? AND plan_id = ? ${version === undefined ? '' : 'AND version = ?'}
         ORDER BY version, count DESC, subject, violation_type, key`,
      )
      .all(ws, planId, ...(version === undefined ? [] : [version])) as ViolationRow[];
    return rows.map((r) => ({
      workspaceId: r.workspace_id as WorkspaceId,
      planId: r.plan_id,
      version: r.version,
      subject: r.subject,
      violationType: r.violation_type as ValidationErrorType,
      key: r.key,
      count: r.count,
      firstSeenMs: r.first_seen_ms,
      lastSeenMs: r.last_seen_ms,
    }));
  }

  async blocked(ws: WorkspaceId, query: BlockedQuery, limit: number): Promise<BlockedBatch[]> {
    const { where, params } = blockedWhere(ws, query);
    const rows = this.db.prepare(`SELECT * FROM quarantine WHERE ${where} ORDER BY id LIMIT ?`).all(...params, limit) as BlockedRow[];
    return rows.map((r) => ({
      id: r.id,
      workspaceId: r.workspace_id as WorkspaceId,
      inputId: r.input_id as InputId,
      mpid: r.mpid as Mpid,
      planId: r.plan_id,
      version: r.version,
      partition: r.partition,
      offset: r.log_offset,
      receivedAtMs: r.received_at_ms,
      wholeBatch: r.whole_batch === 1,
      metadata: JSON.parse(r.metadata),
      backfilledAtMs: r.backfilled_at_ms,
    }));
  }

  async countBlocked(ws: WorkspaceId, query: BlockedQuery): Promise<number> {
    const { where, params } = blockedWhere(ws, query);
    return this.db.prepare(`SELECT count(*) FROM quarantine WHERE ${where}`).pluck().get(...params) as number;
  }

  async markBackfilled(ws: WorkspaceId, ids: readonly number[], atMs: number): Promise<void> {
    this.markTx(ws, ids, atMs);
  }

  async resetViolations(): Promise<void> {
    this.db.exec('DELETE FROM plan_violations; DELETE FROM quality_offsets;');
  }

  async eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    return this.eraseTx(ws, mpids);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function blockedWhere(ws: WorkspaceId, q: BlockedQuery): { where: string; params: unknown[] } {
  const clauses = ['workspace_id = ?', 'plan_id = ?'];
  const params: unknown[] = [ws, q.planId];
  if (q.version !== undefined) {
    clauses.push('version = ?');
    params.push(q.version);
  }
  if (q.pending) clauses.push('backfilled_at_ms IS NULL');
  if (q.fromMs !== undefined) {
    clauses.push('received_at_ms >= ?');
    params.push(q.fromMs);
  }
  if (q.toMs !== undefined) {
    clauses.push('received_at_ms <= ?');
    params.push(q.toMs);
  }
  if (q.afterId !== undefined) {
    clauses.push('id > ?');
    params.push(q.afterId);
  }
  return { where: clauses.join(' AND '), params };
}
