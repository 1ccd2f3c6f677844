import { type Mpid, parseMpid, workspaceId, type WorkspaceId } from '../../kernel/ids.ts';
import type { Profile } from '../../profiles/profile.ts';
import type { ProfileStore } from '../../profiles/profile-store.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

/** The profile store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const PROFILE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'profiles',
    up: `
      CREATE TABLE IF NOT EXISTS profiles (
        workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (workspace_id, mpid)
      ) WITHOUT ROWID;
    `,
  },
];

/**
 * Profiles in SQLite, one JSON document per profile. Commits are not fsync'ed one by one: a
 * profile is derived from the log, so what a power cut loses is rebuilt by re-processing.
 */
export class SqliteProfileStore implements ProfileStore {
  private readonly db: Sqlite;
  private readonly saveTx;
  private readonly select;
  private readonly eraseTx;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'profiles', PROFILE_MIGRATIONS, options);
    this.db.pragma('synchronous = NORMAL');
    const upsert = this.db.prepare(
      `INSERT INTO profiles (workspace_id, mpid, doc) VALUES (?, ?, ?)
       ON CONFLICT (workspace_id, mpid) DO UPDATE SET doc = excluded.doc`,
    );
    this.select = this.db.prepare('SELECT doc FROM profiles WHERE workspace_id = ? AND mpid = ?').pluck();
    const erase = this.db.prepare('DELETE FROM profiles WHERE workspace_id = ? AND mpid = ?');
    this.eraseTx = this.db.transaction((ws: WorkspaceId, mpids: readonly Mpid[]) =>
      mpids.reduce((n, mpid) => n + erase.run(ws, mpid).changes, 0),
    );
    this.saveTx = this.db.transaction((rows: readonly (readonly [number, string, string])[]) => {
      for (const [ws, mpid, doc] of rows) upsert.run(ws, mpid, doc);
    });
  }

  async get(ws: WorkspaceId, mpid: Mpid): Promise<Profile | undefined> {
    const doc = this.select.get(ws, mpid) as string | undefined;
    if (doc === undefined) return undefined;
    const p = JSON.parse(doc) as Profile;
    return { ...p, workspaceId: workspaceId(p.workspaceId), mpid: parseMpid(p.mpid) as Mpid };
  }

  async save(profiles: readonly Profile[]): Promise<void> {
    // Serialised before the transaction: the file's write lock (which the app thread's stores
    // wait for) is held for the writes alone.
    this.saveTx(profiles.map((p) => [p.workspaceId, p.mpid, JSON.stringify(p)] as const));
  }

  async eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    return this.eraseTx(ws, mpids);
  }

  async clear(): Promise<void> {
    this.db.exec('DELETE FROM profiles');
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
