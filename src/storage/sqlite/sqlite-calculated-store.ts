import type {
  CalculatedAttribute,
  CalculatedFlush,
  CalculatedStore,
  Calculation,
  RevisionState,
  UserCalculatedState,
} from '../../calculated/calculated-store.ts';
import type { AttributeState } from '../../calculated/windows.ts';
import { type Mpid, workspaceId, type WorkspaceId } from '../../kernel/ids.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

/** The calculated attributes store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const CALCULATED_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'calculated attributes, their computations, and live, base and seed states',
    up: `
      CREATE TABLE ca_attributes (
        id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL, name_key TEXT NOT NULL, doc TEXT NOT NULL,
        UNIQUE (workspace_id, name_key)
      );
      CREATE TABLE ca_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL, seeds INTEGER NOT NULL);
      INSERT INTO ca_revision (id, revision, seeds) VALUES (1, 0, 0);
      CREATE TABLE ca_calculations (
        workspace_id INTEGER NOT NULL, id INTEGER NOT NULL, revision INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id, revision)
      ) WITHOUT ROWID;
      CREATE TABLE ca_live (workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (workspace_id, mpid)) WITHOUT ROWID;
      CREATE TABLE ca_base (
        workspace_id INTEGER NOT NULL, id INTEGER NOT NULL, mpid TEXT NOT NULL, revision INTEGER NOT NULL, state TEXT NOT NULL,
        PRIMARY KEY (workspace_id, mpid, id)
      ) WITHOUT ROWID;
      CREATE TABLE ca_seeds (
        workspace_id INTEGER NOT NULL, id INTEGER NOT NULL, mpid TEXT NOT NULL, state TEXT NOT NULL,
        PRIMARY KEY (workspace_id, mpid, id)
      ) WITHOUT ROWID;
      CREATE TABLE ca_offsets (partition INTEGER PRIMARY KEY, log_offset INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    description: 'live states one row per user and attribute (a flush writes only the states that changed)',
    up: `
      CREATE TABLE ca_live_states (
        workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, id INTEGER NOT NULL, revision INTEGER NOT NULL, state TEXT NOT NULL,
        PRIMARY KEY (workspace_id, mpid, id)
      ) WITHOUT ROWID;
      INSERT INTO ca_live_states (workspace_id, mpid, id, revision, state)
        SELECT l.workspace_id, l.mpid, CAST(j.key AS INTEGER), json_extract(j.value, '$.revision'), json_extract(j.value, '$.state')
        FROM ca_live l, json_each(l.doc) j;
      DROP TABLE ca_live;
      ALTER TABLE ca_live_states RENAME TO ca_live;
    `,
  },
];

/** Names are unique per workspace whatever their case. */
const nameKey = (name: string) => name.toLowerCase();

/** Users per read (their MPIDs go as one JSON array). */
const CHUNK = 5000;

/**
 * Calculated attributes in SQLite: definitions as JSON documents (fsync'ed on commit: they are
 * configuration), and states, which are derived from the log (commits not fsync'ed one by one;
 * what a power cut loses is counted again).
 */
export class SqliteCalculatedStore implements CalculatedStore {
  private readonly db: Sqlite;
  private readonly stmt;
  /** Transactions; those that read before they write run IMMEDIATE (the other thread writes the same file). */
  private readonly tx;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'calculated', CALCULATED_MIGRATIONS, options);
    const db = this.db;
    this.stmt = {
      insert: db.prepare('INSERT OR IGNORE INTO ca_attributes (workspace_id, name_key, doc) VALUES (?, ?, ?)'),
      setDoc: db.prepare('UPDATE ca_attributes SET doc = ? WHERE id = ?'),
      update: db.prepare('UPDATE OR IGNORE ca_attributes SET name_key = ?, doc = ? WHERE workspace_id = ? AND id = ?'),
      exists: db.prepare('SELECT 1 FROM ca_attributes WHERE workspace_id = ? AND id = ?').pluck(),
      get: db.prepare('SELECT doc FROM ca_attributes WHERE workspace_id = ? AND id = ?').pluck(),
      list: db.prepare('SELECT doc FROM ca_attributes WHERE workspace_id = ? ORDER BY id').pluck(),
      all: db.prepare('SELECT doc FROM ca_attributes ORDER BY id').pluck(),
      delete: db.prepare('DELETE FROM ca_attributes WHERE workspace_id = ? AND id = ?'),
      deleteCalculations: db.prepare('DELETE FROM ca_calculations WHERE workspace_id = ? AND id = ?'),
      deleteLive: db.prepare('DELETE FROM ca_live WHERE workspace_id = ? AND id = ?'),
      deleteBase: db.prepare('DELETE FROM ca_base WHERE workspace_id = ? AND id = ?'),
      deleteSeeds: db.prepare('DELETE FROM ca_seeds WHERE workspace_id = ? AND id = ?'),
      bump: db.prepare('UPDATE ca_revision SET revision = revision + 1 WHERE id = 1'),
      revision: db.prepare('SELECT revision FROM ca_revision WHERE id = 1').pluck(),
      seedRevision: db.prepare('SELECT seeds FROM ca_revision WHERE id = 1').pluck(),
      bumpSeeds: db.prepare('UPDATE ca_revision SET seeds = seeds + 1 WHERE id = 1'),
      calculation: db.prepare('SELECT doc FROM ca_calculations WHERE workspace_id = ? AND id = ? AND revision = ?').pluck(),
      putCalculation: db.prepare(
        `INSERT INTO ca_calculations (workspace_id, id, revision, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (workspace_id, id, revision) DO UPDATE SET doc = excluded.doc`,
      ),
      putLive: db.prepare(
        `INSERT INTO ca_live (workspace_id, mpid, id, revision, state) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, mpid, id) DO UPDATE SET revision = excluded.revision, state = excluded.state`,
      ),
      putBase: db.prepare(
        `INSERT INTO ca_base (workspace_id, id, mpid, revision, state) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (workspace_id, mpid, id) DO UPDATE SET revision = excluded.revision, state = excluded.state`,
      ),
      putSeed: db.prepare(
        'INSERT INTO ca_seeds (workspace_id, id, mpid, state) VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id, mpid, id) DO UPDATE SET state = excluded.state',
      ),
      putOffset: db.prepare(
        'INSERT INTO ca_offsets (partition, log_offset) VALUES (?, ?) ON CONFLICT (partition) DO UPDATE SET log_offset = excluded.log_offset',
      ),
      offsets: db.prepare('SELECT partition, log_offset FROM ca_offsets'),
      // Users' states, the MPIDs as a JSON array: one statement, prepared once, whatever their number.
      liveOf: db.prepare('SELECT mpid, id, revision, state FROM ca_live WHERE workspace_id = ? AND mpid IN (SELECT value FROM json_each(?))'),
      baseOf: db.prepare('SELECT mpid, id, revision, state FROM ca_base WHERE workspace_id = ? AND mpid IN (SELECT value FROM json_each(?))'),
      seedsOf: db.prepare('SELECT mpid, id, state FROM ca_seeds WHERE workspace_id = ? AND mpid IN (SELECT value FROM json_each(?))'),
      // Each a range of its table's primary key (workspace_id, mpid, id).
      eraseLive: db.prepare('DELETE FROM ca_live WHERE workspace_id = ? AND mpid = ?'),
      eraseBase: db.prepare('DELETE FROM ca_base WHERE workspace_id = ? AND mpid = ?'),
      eraseSeeds: db.prepare('DELETE FROM ca_seeds WHERE workspace_id = ? AND mpid = ?'),
    };
    const s = this.stmt;
    this.tx = {
      create: db.transaction((ws: WorkspaceId, attribute: Omit<CalculatedAttribute, 'id' | 'workspaceId'>): CalculatedAttribute | 'name-taken' => {
        const inserted = s.insert.run(ws, nameKey(attribute.name), '{}');
        if (inserted.changes === 0) return 'name-taken';
        const created: CalculatedAttribute = { id: Number(inserted.lastInsertRowid), workspaceId: ws, ...attribute };
        s.setDoc.run(JSON.stringify(created), created.id);
        s.bump.run();
        return created;
      }),
      update: db.transaction((a: CalculatedAttribute): boolean | 'name-taken' => {
        if (s.exists.get(a.workspaceId, a.id) === undefined) return false;
        if (s.update.run(nameKey(a.name), JSON.stringify(a), a.workspaceId, a.id).changes === 0) return 'name-taken';
        s.bump.run();
        return true;
      }),
      delete: db.transaction((ws: WorkspaceId, id: number): boolean => {
        if (s.delete.run(ws, id).changes === 0) return false;
        s.deleteCalculations.run(ws, id);
        s.deleteLive.run(ws, id);
        s.deleteBase.run(ws, id);
        s.deleteSeeds.run(ws, id);
        s.bump.run();
        s.bumpSeeds.run();
        return true;
      }),
      record: db.transaction((flush: CalculatedFlush) => {
        for (const l of flush.live) s.putLive.run(l.workspaceId, l.mpid, l.id, l.revision, JSON.stringify(l.state));
        for (const [partition, offset] of flush.offsets) s.putOffset.run(partition, offset);
      }),
      putBase: db.transaction((progress: Calculation, states: readonly { mpid: Mpid; state: AttributeState }[]) => {
        for (const { mpid, state } of states) s.putBase.run(progress.workspaceId, progress.id, mpid, progress.revision, JSON.stringify(state));
        s.putCalculation.run(progress.workspaceId, progress.id, progress.revision, JSON.stringify(progress));
      }),
      putSeeds: db.transaction((ws: WorkspaceId, seeds: readonly { id: number; mpid: Mpid; state: AttributeState }[]) => {
        for (const { id, mpid, state } of seeds) s.putSeed.run(ws, id, mpid, JSON.stringify(state));
        s.bumpSeeds.run();
      }),
      eraseUsers: db.transaction((ws: WorkspaceId, mpids: readonly Mpid[]): number => {
        let seeds = 0;
        let states = 0;
        for (const mpid of mpids) {
          seeds += s.eraseSeeds.run(ws, mpid).changes;
          states += s.eraseLive.run(ws, mpid).changes + s.eraseBase.run(ws, mpid).changes;
        }
        if (seeds > 0) s.bumpSeeds.run();
        return states + seeds;
      }),
      deleteSeeds: db.transaction((ws: WorkspaceId, id: number) => {
        s.deleteSeeds.run(ws, id);
        s.bumpSeeds.run();
      }),
    };
  }

  async create(ws: WorkspaceId, attribute: Omit<CalculatedAttribute, 'id' | 'workspaceId'>): Promise<CalculatedAttribute | 'name-taken'> {
    return this.tx.create.immediate(ws, attribute);
  }

  async get(ws: WorkspaceId, id: number): Promise<CalculatedAttribute | undefined> {
    const doc = this.stmt.get.get(ws, id) as string | undefined;
    return doc === undefined ? undefined : attributeOf(doc);
  }

  async list(ws: WorkspaceId): Promise<CalculatedAttribute[]> {
    return (this.stmt.list.all(ws) as string[]).map(attributeOf);
  }

  async active(): Promise<CalculatedAttribute[]> {
    return (this.stmt.all.all() as string[]).map(attributeOf).filter((a) => a.active_definition !== null);
  }

  async update(attribute: CalculatedAttribute): Promise<boolean | 'name-taken'> {
    return this.tx.update.immediate(attribute);
  }

  async delete(ws: WorkspaceId, id: number): Promise<boolean> {
    return this.tx.delete.immediate(ws, id);
  }

  async revision(): Promise<number> {
    return this.stmt.revision.get() as number;
  }

  async calculation(ws: WorkspaceId, id: number, revision: number): Promise<Calculation | undefined> {
    const doc = this.stmt.calculation.get(ws, id, revision) as string | undefined;
    return doc === undefined ? undefined : calculationOf(doc);
  }

  async putCalculation(calculation: Calculation): Promise<void> {
    this.stmt.putCalculation.run(calculation.workspaceId, calculation.id, calculation.revision, JSON.stringify(calculation));
  }

  async users(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<Map<Mpid, UserCalculatedState>> {
    const users = new Map<Mpid, UserCalculatedState>();
    const of = (mpid: Mpid) => {
      let user = users.get(mpid);
      if (!user) users.set(mpid, (user = { live: new Map(), base: new Map(), seeds: new Map() }));
      return user;
    };
    const s = this.stmt;
    for (let i = 0; i < mpids.length; i += CHUNK) {
      const chunk = JSON.stringify([...new Set(mpids.slice(i, i + CHUNK))]);
      const revisionState = (r: Record<string, string | number>): RevisionState => ({ revision: Number(r.revision), state: JSON.parse(r.state as string) as AttributeState });
      for (const r of s.liveOf.all(ws, chunk) as Record<string, string | number>[]) of(r.mpid as Mpid).live.set(Number(r.id), revisionState(r));
      for (const r of s.baseOf.all(ws, chunk) as Record<string, string | number>[]) of(r.mpid as Mpid).base.set(Number(r.id), revisionState(r));
      for (const r of s.seedsOf.all(ws, chunk) as Record<string, string | number>[]) of(r.mpid as Mpid).seeds.set(Number(r.id), JSON.parse(r.state as string) as AttributeState);
    }
    return users;
  }

  async record(flush: CalculatedFlush): Promise<void> {
    this.tx.record(flush);
  }

  async appliedOffsets(): Promise<Map<number, number>> {
    const rows = this.stmt.offsets.all() as { partition: number; log_offset: number }[];
    return new Map(rows.map((r) => [r.partition, r.log_offset]));
  }

  async putBase(progress: Calculation, states: readonly { mpid: Mpid; state: AttributeState }[]): Promise<void> {
    this.tx.putBase(progress, states);
  }

  async putSeeds(ws: WorkspaceId, seeds: readonly { id: number; mpid: Mpid; state: AttributeState }[]): Promise<void> {
    this.tx.putSeeds(ws, seeds);
  }

  async deleteSeeds(ws: WorkspaceId, id: number): Promise<void> {
    this.tx.deleteSeeds(ws, id);
  }

  async seedRevision(): Promise<number> {
    return this.stmt.seedRevision.get() as number;
  }

  async eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    return this.tx.eraseUsers(ws, mpids);
  }

  async reset(): Promise<void> {
    this.db.exec('DELETE FROM ca_live; DELETE FROM ca_base; DELETE FROM ca_calculations; DELETE FROM ca_offsets;');
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function attributeOf(doc: string): CalculatedAttribute {
  const a = JSON.parse(doc) as CalculatedAttribute;
  return { ...a, workspaceId: workspaceId(a.workspaceId) };
}

function calculationOf(doc: string): Calculation {
  const c = JSON.parse(doc) as Calculation;
  return { ...c, workspaceId: workspaceId(c.workspaceId) };
}
