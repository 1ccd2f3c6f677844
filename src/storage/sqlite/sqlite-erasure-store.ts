import type { ErasureJob, ErasureProgress, ErasureStatus, ErasureStore } from '../../erasure/erasure-store.ts';
import { type Mpid, parseMpid, workspaceId, type WorkspaceId } from '../../kernel/ids.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

interface JobRow {
  id: string;
  workspace_id: number;
  mpids: string;
  users_total: number;
  not_found: number;
  status: ErasureStatus;
  users_done: number;
  rows: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
}

/** The erasure store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const ERASURE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'erasure jobs and their progress',
    up: `
      CREATE TABLE IF NOT EXISTS erasure_jobs (
        id TEXT PRIMARY KEY, workspace_id INTEGER NOT NULL, mpids TEXT NOT NULL,
        users_total INTEGER NOT NULL, not_found INTEGER NOT NULL, status TEXT NOT NULL,
        users_done INTEGER NOT NULL, rows INTEGER NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, completed_at INTEGER
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS erasure_jobs_unfinished ON erasure_jobs (status, created_at);
    `,
  },
];

/**
 * Erasure jobs in SQLite. Each progress is committed with `synchronous = FULL`: a job recorded
 * as further than it is would leave users unerased after a power cut.
 */
export class SqliteErasureStore implements ErasureStore {
  private readonly db: Sqlite;
  private readonly stmt;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'erasure', ERASURE_MIGRATIONS, options);
    this.db.pragma('synchronous = FULL');
    this.stmt = {
      insert: this.db.prepare(
        `INSERT INTO erasure_jobs (id, workspace_id, mpids, users_total, not_found, status, users_done, rows, created_at, updated_at, completed_at)
         VALUES (@id, @workspace_id, @mpids, @users_total, @not_found, @status, @users_done, @rows, @created_at, @updated_at, @completed_at)`,
      ),
      get: this.db.prepare('SELECT * FROM erasure_jobs WHERE workspace_id = ? AND id = ?'),
      progress: this.db.prepare(
        `UPDATE erasure_jobs SET users_done = ?, rows = ?, status = ?, updated_at = ?,
           completed_at = CASE WHEN ? = 'done' THEN ? ELSE completed_at END,
           mpids = CASE WHEN ? = 'done' THEN '[]' ELSE mpids END
         WHERE id = ?`,
      ),
      unfinished: this.db.prepare("SELECT * FROM erasure_jobs WHERE status <> 'done' ORDER BY created_at, id"),
    };
  }

  async create(job: ErasureJob): Promise<void> {
    this.stmt.insert.run({
      id: job.id,
      workspace_id: job.workspaceId,
      mpids: JSON.stringify(job.mpids),
      users_total: job.usersTotal,
      not_found: job.notFound,
      status: job.status,
      users_done: job.usersDone,
      rows: job.rows,
      created_at: job.createdAtMs,
      updated_at: job.updatedAtMs,
      completed_at: job.completedAtMs,
    });
  }

  async get(ws: WorkspaceId, id: string): Promise<ErasureJob | undefined> {
    const row = this.stmt.get.get(ws, id) as JobRow | undefined;
    return row && jobOf(row);
  }

  async progress(id: string, p: ErasureProgress): Promise<void> {
    this.stmt.progress.run(p.usersDone, p.rows, p.status, p.atMs, p.status, p.atMs, p.status, id);
  }

  async unfinished(): Promise<ErasureJob[]> {
    return (this.stmt.unfinished.all() as JobRow[]).map(jobOf);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function jobOf(row: JobRow): ErasureJob {
  return {
    id: row.id,
    workspaceId: workspaceId(row.workspace_id),
    mpids: (JSON.parse(row.mpids) as string[]).map((m) => parseMpid(m) as Mpid),
    usersTotal: row.users_total,
    notFound: row.not_found,
    status: row.status,
    usersDone: row.users_done,
    rows: row.rows,
    createdAtMs: row.created_at,
    updatedAtMs: row.updated_at,
    completedAtMs: row.completed_at,
  };
}
