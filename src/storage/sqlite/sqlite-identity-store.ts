import type { AliasRecord, IdentityEvent, IdentityRecord, IdentityStore } from '../../identity/identity-store.ts';
import type { Identities } from '../../identity/identity-types.ts';
import { type Mpid, parseMpid, workspaceId, type WorkspaceId } from '../../kernel/ids.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

interface RecordRow {
  workspace_id: number;
  mpid: string;
  identities: string;
  created_at: number;
  updated_at: number;
}

interface EventRow {
  workspace_id: number;
  mpid: string;
  at: number;
  action: IdentityEvent['action'];
  type: IdentityEvent['type'];
  value: string | null;
  previous_value: string | null;
  reason: string;
}

/** The identity store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const IDENTITY_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'identity records, identity events and alias requests',
    up: `
      CREATE TABLE IF NOT EXISTS identity_records (
        workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, identities TEXT NOT NULL,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, mpid)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS identity_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, at INTEGER NOT NULL, action TEXT NOT NULL,
        type TEXT, value TEXT, previous_value TEXT, reason TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS identity_events_by_mpid ON identity_events (workspace_id, mpid, id);
      CREATE TABLE IF NOT EXISTS alias_requests (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: "alias requests indexed by their source and destination MPIDs (erasing a user's)",
    up: `
      CREATE INDEX alias_requests_by_source ON alias_requests (json_extract(doc, '$.workspaceId'), json_extract(doc, '$.sourceMpid'));
      CREATE INDEX alias_requests_by_destination ON alias_requests (json_extract(doc, '$.workspaceId'), json_extract(doc, '$.destinationMpid'));
    `,
  },
  {
    version: 3,
    description: 'erased MPIDs, never given or taken again',
    up: `
      CREATE TABLE erased_users (
        workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, mpid)
      ) WITHOUT ROWID;
    `,
  },
];

/**
 * What `eraseUsers` deletes of each user, each statement `(workspace, mpid)`, from an index: exported so that
 * the adapter's test can check that none scans its table. The alias requests' expressions are
 * those of their indexes (migration 2), or SQLite would not use them.
 */
export const ERASE_USER_SQL = [
  'DELETE FROM identity_records WHERE workspace_id = ? AND mpid = ?',
  'DELETE FROM identity_events WHERE workspace_id = ? AND mpid = ?',
  "DELETE FROM alias_requests WHERE json_extract(doc, '$.workspaceId') = ? AND json_extract(doc, '$.sourceMpid') = ?",
  "DELETE FROM alias_requests WHERE json_extract(doc, '$.workspaceId') = ? AND json_extract(doc, '$.destinationMpid') = ?",
] as const;

/**
 * The identity graph in SQLite. Saves made in the same turn of the event loop are committed
 * together (group commit), each resolving once its group is committed. Commits are not fsync'ed
 * one by one (WAL, `synchronous = NORMAL`): they survive a crash of the process, and IDSync
 * recreates a profile that a power cut lost when a batch names its MPID again.
 */
export class SqliteIdentityStore implements IdentityStore {
  private readonly db: Sqlite;
  private readonly saveTx;
  private queue: { records: readonly IdentityRecord[]; events: readonly IdentityEvent[]; done: (error?: unknown) => void }[] = [];
  private readonly saveAliasTx;
  private readonly appendEvents: (events: readonly IdentityEvent[]) => void;
  private readonly eraseTx: (ws: WorkspaceId, mpids: readonly Mpid[]) => number;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'identity', IDENTITY_MIGRATIONS, options);
    this.db.pragma('synchronous = NORMAL');
    const upsertAlias = this.db.prepare(
      'INSERT INTO alias_requests (id, doc) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc',
    );
    this.saveAliasTx = this.db.transaction((alias: AliasRecord, events: readonly IdentityEvent[]) => {
      upsertAlias.run(alias.id, JSON.stringify(alias));
      this.appendEvents(events);
    });
    const upsert = this.db.prepare(
      `INSERT INTO identity_records (workspace_id, mpid, identities, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id, mpid) DO UPDATE SET identities = excluded.identities, updated_at = excluded.updated_at`,
    );
    const append = this.db.prepare(
      `INSERT INTO identity_events (workspace_id, mpid, at, action, type, value, previous_value, reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.appendEvents = (events) => {
      for (const e of events) {
        append.run(e.workspaceId, e.mpid, e.atMs, e.action, e.type, e.value, e.previousValue, JSON.stringify(e.reason));
      }
    };
    this.saveTx = this.db.transaction((group: typeof this.queue) => {
      for (const { records, events } of group) {
        for (const r of records) upsert.run(r.workspaceId, r.mpid, JSON.stringify(r.identities), r.createdAtMs, r.updatedAtMs);
        this.appendEvents(events);
      }
    });
    const erase = ERASE_USER_SQL.map((sql) => this.db.prepare(sql));
    const remember = this.db.prepare('INSERT OR IGNORE INTO erased_users (workspace_id, mpid, at) VALUES (?, ?, ?)');
    this.eraseTx = this.db.transaction((ws: WorkspaceId, mpids: readonly Mpid[]) => {
      const at = Date.now();
      let removed = 0;
      for (const mpid of mpids) {
        remember.run(ws, mpid, at);
        for (const statement of erase) removed += statement.run(ws, mpid).changes;
      }
      return removed;
    });
  }

  async loadAll(): Promise<IdentityRecord[]> {
    return (this.db.prepare('SELECT * FROM identity_records').all() as RecordRow[]).map((r) => ({
      workspaceId: workspaceId(r.workspace_id),
      mpid: parseMpid(r.mpid) as Mpid,
      identities: JSON.parse(r.identities) as Identities,
      createdAtMs: r.created_at,
      updatedAtMs: r.updated_at,
    }));
  }

  save(records: readonly IdentityRecord[], events: readonly IdentityEvent[]): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.queue.length === 0) setImmediate(() => this.commit());
      this.queue.push({ records, events, done: (error) => (error === undefined ? resolve() : reject(error)) });
    });
  }

  private commit(): void {
    const group = this.queue;
    this.queue = [];
    if (group.length === 0) return;
    try {
      this.saveTx(group);
    } catch (error) {
      for (const g of group) g.done(error);
      return;
    }
    for (const g of group) g.done();
  }

  async history(ws: WorkspaceId, mpid: Mpid): Promise<IdentityEvent[]> {
    const rows = this.db
      .prepare('SELECT * FROM identity_events WHERE workspace_id = ? AND mpid = ? ORDER BY id')
      .all(ws, mpid) as EventRow[];
    return rows.map((r) => ({
      workspaceId: workspaceId(r.workspace_id),
      mpid: parseMpid(r.mpid) as Mpid,
      atMs: r.at,
      action: r.action,
      type: r.type,
      value: r.value,
      previousValue: r.previous_value,
      reason: JSON.parse(r.reason) as IdentityEvent['reason'],
    }));
  }

  async saveAlias(alias: AliasRecord, events: readonly IdentityEvent[]): Promise<void> {
    this.saveAliasTx(alias, events);
  }

  async loadAliases(): Promise<AliasRecord[]> {
    return (this.db.prepare('SELECT doc FROM alias_requests').pluck().all() as string[]).map((d) => JSON.parse(d) as AliasRecord);
  }

  /** Saves still waiting for their group are committed first, so none brings the user back after the erase. */
  async eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    this.commit();
    return this.eraseTx(ws, mpids);
  }

  async erasedUsers(): Promise<{ workspaceId: WorkspaceId; mpid: Mpid }[]> {
    const rows = this.db.prepare('SELECT workspace_id, mpid FROM erased_users').raw().all() as [number, string][];
    return rows.map(([ws, mpid]) => ({ workspaceId: workspaceId(ws), mpid: parseMpid(mpid) as Mpid }));
  }

  async close(): Promise<void> {
    this.commit();
    this.db.close();
  }
}
