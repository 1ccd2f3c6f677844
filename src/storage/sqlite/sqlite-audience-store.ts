import type {
  Audience,
  AudienceCalculation,
  AudienceFlush,
  AudienceStore,
  AudienceUser,
  MembershipChange,
  StoredMembershipChange,
} from '../../audiences/audience-store.ts';
import { type Mpid, mpidToBigInt, parseMpid, workspaceId, type WorkspaceId } from '../../kernel/ids.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

/** The audience store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const AUDIENCE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'audiences, their calculations, users\' audience state, memberships, membership changes and offsets',
    up: `
      CREATE TABLE au_audiences (
        id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL, name_key TEXT NOT NULL, doc TEXT NOT NULL,
        UNIQUE (workspace_id, name_key)
      );
      CREATE TABLE au_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
      INSERT INTO au_revision (id, revision) VALUES (1, 0);
      CREATE TABLE au_calculations (
        workspace_id INTEGER NOT NULL, id INTEGER NOT NULL, revision INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id, revision)
      ) WITHOUT ROWID;
      CREATE TABLE au_users (
        workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, doc TEXT NOT NULL, due_ms INTEGER,
        PRIMARY KEY (workspace_id, mpid)
      ) WITHOUT ROWID;
      CREATE INDEX au_users_due ON au_users (due_ms) WHERE due_ms IS NOT NULL;
      CREATE TABLE au_members (
        workspace_id INTEGER NOT NULL, audience_id INTEGER NOT NULL, mpid TEXT NOT NULL, mpid_num INTEGER NOT NULL,
        added_at_ms INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, audience_id, mpid_num)
      ) WITHOUT ROWID;
      -- With added_at_ms (and the primary key, which every index of the table holds), it alone answers membershipsOf.
      CREATE INDEX au_members_of_user ON au_members (workspace_id, mpid, added_at_ms);
      CREATE TABLE au_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL, audience_id INTEGER NOT NULL, mpid TEXT NOT NULL,
        change TEXT NOT NULL CHECK (change IN ('added', 'removed')), at_ms INTEGER NOT NULL
      );
      CREATE INDEX au_changes_of_user ON au_changes (workspace_id, mpid);
      CREATE TABLE au_offsets (partition INTEGER PRIMARY KEY, log_offset INTEGER NOT NULL);
    `,
  },
  {
    version: 2,
    // A user's state is a document of a kilobyte or more: SQLite keeps rows that large far better in
    // a rowid table (the B-tree's leaves hold just a rowid and a pointer) than WITHOUT ROWID.
    description: "au_users as a rowid table: users' states are written several times faster",
    up: `
      CREATE TABLE au_users_v2 (
        id INTEGER PRIMARY KEY, workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, doc TEXT NOT NULL, due_ms INTEGER,
        UNIQUE (workspace_id, mpid)
      );
      INSERT INTO au_users_v2 (workspace_id, mpid, doc, due_ms) SELECT workspace_id, mpid, doc, due_ms FROM au_users;
      DROP TABLE au_users;
      ALTER TABLE au_users_v2 RENAME TO au_users;
      CREATE INDEX au_users_due ON au_users (due_ms) WHERE due_ms IS NOT NULL;
    `,
  },
];

/**
 * The users due at or before a time, soonest first. Exported so that the adapter's test can check
 * that SQLite answers it from the partial index on `due_ms` (no scan, no sort).
 */
export const DUE_SQL = 'SELECT workspace_id, mpid FROM au_users WHERE due_ms IS NOT NULL AND due_ms <= ? ORDER BY due_ms LIMIT ?';

/**
 * A user's memberships with their audiences' names (of audiences that exist). `INDEXED BY`: left
 * to itself, SQLite would walk the workspace's members in primary key order to spare sorting the
 * user's few rows.
 */
export const MEMBERSHIPS_OF_SQL = `
  SELECT m.audience_id, json_extract(a.doc, '$.name') AS name, m.added_at_ms
  FROM au_members m INDEXED BY au_members_of_user JOIN au_audiences a ON a.id = m.audience_id AND a.workspace_id = m.workspace_id
  WHERE m.workspace_id = ? AND m.mpid = ? ORDER BY m.audience_id`;

/** What `eraseUsers` deletes of each user, each `(workspace, mpid)`: exported so that the adapter's test can check each is an index search. */
export const ERASE_USER_SQL = {
  user: 'DELETE FROM au_users WHERE workspace_id = ? AND mpid = ?',
  memberships: 'DELETE FROM au_members WHERE workspace_id = ? AND mpid = ?',
  history: 'DELETE FROM au_changes WHERE workspace_id = ? AND mpid = ?',
} as const;

/** Names are unique per workspace whatever their case. */
const nameKey = (name: string) => name.toLowerCase();

/** Users per read (their MPIDs go as one JSON array). */
const CHUNK = 5000;

/**
 * What `au_users.doc` holds: the user's state without its keys and due time (they are columns),
 * its times as differences from one base time (`b`): each track `[n, ...recent]`, each membership
 * the time it began. Small integers make a document half the size of the state's own JSON and
 * serialise in a third of the time (a 13-digit number is costly to write). Documents written
 * before this form (`{events, identities, memberships}`) are read as they are.
 */
interface UserDoc {
  b: number;
  e: Record<string, number[]>;
  i: Record<string, string>;
  m: Record<string, number>;
}
type OldUserDoc = Omit<AudienceUser, 'workspaceId' | 'mpid' | 'dueMs'>;

interface ChangeRow {
  seq: number;
  workspace_id: number;
  audience_id: number;
  mpid: string;
  change: MembershipChange['change'];
  at_ms: number;
}

/**
 * Audiences in SQLite: definitions as JSON documents (one row each, with a revision counter that
 * every definition write bumps), each user's audience state as a document with its due time in a
 * column of its own (indexed), current memberships one row per member keyed by the MPID as an
 * integer (so members page in numeric order), and every membership change in sequence.
 */
export class SqliteAudienceStore implements AudienceStore {
  private readonly db: Sqlite;
  private readonly stmt;
  /** Transactions; those that read before they write run IMMEDIATE (the other thread writes the same file). */
  private readonly tx;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'audiences', AUDIENCE_MIGRATIONS, options);
    this.stmt = prepare(this.db);
    this.tx = transactions(this.db, this.stmt);
  }

  async create(ws: WorkspaceId, audience: Omit<Audience, 'id' | 'workspaceId'>): Promise<Audience | 'name-taken'> {
    return this.tx.create.immediate(ws, audience);
  }

  async get(ws: WorkspaceId, id: number): Promise<Audience | undefined> {
    const doc = this.stmt.get.get(ws, id) as string | undefined;
    return doc === undefined ? undefined : audienceOf(doc);
  }

  async list(ws: WorkspaceId): Promise<Audience[]> {
    return (this.stmt.list.all(ws) as string[]).map(audienceOf);
  }

  async active(): Promise<Audience[]> {
    return (this.stmt.active.all() as string[]).map(audienceOf);
  }

  async update(audience: Audience): Promise<boolean | 'name-taken'> {
    return this.tx.update.immediate(audience);
  }

  async delete(ws: WorkspaceId, id: number): Promise<boolean> {
    return this.tx.delete.immediate(ws, id);
  }

  async revision(): Promise<number> {
    return this.stmt.revision.get() as number;
  }

  async calculation(ws: WorkspaceId, id: number, revision: number): Promise<AudienceCalculation | undefined> {
    const doc = this.stmt.calculation.get(ws, id, revision) as string | undefined;
    return doc === undefined ? undefined : calculationOf(doc);
  }

  async putCalculation(calculation: AudienceCalculation): Promise<void> {
    this.stmt.putCalculation.run(calculation.workspaceId, calculation.id, calculation.revision, JSON.stringify(calculation));
  }

  async users(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<Map<Mpid, AudienceUser>> {
    const users = new Map<Mpid, AudienceUser>();
    for (let i = 0; i < mpids.length; i += CHUNK) {
      const chunk = JSON.stringify([...new Set(mpids.slice(i, i + CHUNK))]);
      for (const r of this.stmt.usersOf.all(ws, chunk) as { mpid: string; doc: string; due_ms: number | null }[]) {
        const mpid = parseMpid(r.mpid) as Mpid;
        users.set(mpid, userOf(ws, mpid, r.doc, r.due_ms));
      }
    }
    return users;
  }

  /** Synchronous to the end: the flush is serialised (and committed) before the promise returns. */
  async record(flush: AudienceFlush): Promise<void> {
    this.tx.record.immediate(flush);
  }

  async appliedOffsets(): Promise<Map<number, number>> {
    const rows = this.stmt.offsets.all() as { partition: number; log_offset: number }[];
    return new Map(rows.map((r) => [r.partition, r.log_offset]));
  }

  async due(nowMs: number, limit: number): Promise<{ workspaceId: WorkspaceId; mpid: Mpid }[]> {
    const rows = this.stmt.due.all(nowMs, limit) as { workspace_id: number; mpid: string }[];
    return rows.map((r) => ({ workspaceId: workspaceId(r.workspace_id), mpid: parseMpid(r.mpid) as Mpid }));
  }

  async members(ws: WorkspaceId, audienceId: number, afterMpid: Mpid | null, limit: number): Promise<{ mpid: Mpid; addedAtMs: number }[]> {
    const s = this.stmt;
    const rows = (
      afterMpid === null ? s.members.all(ws, audienceId, limit) : s.membersAfter.all(ws, audienceId, mpidToBigInt(afterMpid), limit)
    ) as { mpid: string; added_at_ms: number }[];
    return rows.map((r) => ({ mpid: parseMpid(r.mpid) as Mpid, addedAtMs: r.added_at_ms }));
  }

  async size(ws: WorkspaceId, audienceId: number): Promise<number> {
    return this.stmt.size.get(ws, audienceId) as number;
  }

  async replaceMembers(ws: WorkspaceId, audienceId: number, mpids: readonly Mpid[], atMs: number, calculation: AudienceCalculation): Promise<boolean> {
    return this.tx.replaceMembers.immediate(ws, audienceId, mpids, atMs, calculation);
  }

  async membershipsOf(ws: WorkspaceId, mpid: Mpid): Promise<{ audienceId: number; name: string; addedAtMs: number }[]> {
    const rows = this.stmt.membershipsOf.all(ws, mpid) as { audience_id: number; name: string; added_at_ms: number }[];
    return rows.map((r) => ({ audienceId: r.audience_id, name: r.name, addedAtMs: r.added_at_ms }));
  }

  async historyOf(ws: WorkspaceId, mpid: Mpid): Promise<StoredMembershipChange[]> {
    return (this.stmt.historyOf.all(ws, mpid) as ChangeRow[]).map(changeOf);
  }

  async changesAfter(seq: number, limit: number): Promise<StoredMembershipChange[]> {
    return (this.stmt.changesAfter.all(seq, limit) as ChangeRow[]).map(changeOf);
  }

  async audienceChangesAfter(ws: WorkspaceId, audienceId: number, seq: number, limit: number): Promise<StoredMembershipChange[]> {
    return (this.stmt.audienceChangesAfter.all(seq, ws, audienceId, limit) as ChangeRow[]).map(changeOf);
  }

  async audienceChangesPending(ws: WorkspaceId, audienceId: number, seq: number): Promise<{ count: number; oldestAtMs: number | null }> {
    const row = this.stmt.audienceChangesPending.get(seq, ws, audienceId) as { count: number; oldest: number | null };
    return { count: row.count, oldestAtMs: row.oldest };
  }

  async lastChangeSeq(): Promise<number> {
    return (this.stmt.lastChangeSeq.get() as { seq: number | null }).seq ?? 0;
  }

  async eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    return this.tx.eraseUsers(ws, mpids);
  }

  async reset(): Promise<void> {
    this.tx.reset();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * `replaceMembers` over the temporary table `au_selected` (the new members): changes for those
 * leaving, then for those joining, each in MPID order, and the members table made to match.
 */
const REPLACE_MEMBERS = {
  removed: `INSERT INTO au_changes (workspace_id, audience_id, mpid, change, at_ms)
    SELECT @ws, @id, mpid, 'removed', @atMs FROM au_members m
    WHERE workspace_id = @ws AND audience_id = @id AND NOT EXISTS (SELECT 1 FROM au_selected s WHERE s.mpid_num = m.mpid_num) ORDER BY mpid_num`,
  dropped: `DELETE FROM au_members AS m
    WHERE workspace_id = @ws AND audience_id = @id AND NOT EXISTS (SELECT 1 FROM au_selected s WHERE s.mpid_num = m.mpid_num)`,
  added: `INSERT INTO au_changes (workspace_id, audience_id, mpid, change, at_ms)
    SELECT @ws, @id, mpid, 'added', @atMs FROM au_selected s
    WHERE NOT EXISTS (SELECT 1 FROM au_members m WHERE m.workspace_id = @ws AND m.audience_id = @id AND m.mpid_num = s.mpid_num) ORDER BY mpid_num`,
  joined: `INSERT OR IGNORE INTO au_members (workspace_id, audience_id, mpid, mpid_num, added_at_ms)
    SELECT @ws, @id, mpid, mpid_num, @atMs FROM au_selected ORDER BY mpid_num`,
} as const;

/** The store's statements, prepared once. */
function prepare(db: Sqlite) {
  // The connection's own scratch table for `replaceMembers` (TEMP: never in the file).
  db.exec('CREATE TEMP TABLE IF NOT EXISTS au_selected (mpid_num INTEGER PRIMARY KEY, mpid TEXT NOT NULL)');
  return {
    select: db.prepare('INSERT OR IGNORE INTO au_selected (mpid_num, mpid) VALUES (?, ?)'),
    unselect: db.prepare('DELETE FROM au_selected'),
    removed: db.prepare(REPLACE_MEMBERS.removed),
    dropped: db.prepare(REPLACE_MEMBERS.dropped),
    added: db.prepare(REPLACE_MEMBERS.added),
    joined: db.prepare(REPLACE_MEMBERS.joined),
    insert: db.prepare('INSERT OR IGNORE INTO au_audiences (workspace_id, name_key, doc) VALUES (?, ?, ?)'),
    setDoc: db.prepare('UPDATE au_audiences SET doc = ? WHERE id = ?'),
    update: db.prepare('UPDATE OR IGNORE au_audiences SET name_key = ?, doc = ? WHERE workspace_id = ? AND id = ?'),
    exists: db.prepare('SELECT 1 FROM au_audiences WHERE workspace_id = ? AND id = ?').pluck(),
    get: db.prepare('SELECT doc FROM au_audiences WHERE workspace_id = ? AND id = ?').pluck(),
    list: db.prepare('SELECT doc FROM au_audiences WHERE workspace_id = ? ORDER BY id').pluck(),
    active: db.prepare("SELECT doc FROM au_audiences WHERE json_extract(doc, '$.is_active') ORDER BY id").pluck(),
    delete: db.prepare('DELETE FROM au_audiences WHERE workspace_id = ? AND id = ?'),
    deleteCalculations: db.prepare('DELETE FROM au_calculations WHERE workspace_id = ? AND id = ?'),
    deleteMembers: db.prepare('DELETE FROM au_members WHERE workspace_id = ? AND audience_id = ?'),
    bump: db.prepare('UPDATE au_revision SET revision = revision + 1 WHERE id = 1'),
    revision: db.prepare('SELECT revision FROM au_revision WHERE id = 1').pluck(),
    calculation: db.prepare('SELECT doc FROM au_calculations WHERE workspace_id = ? AND id = ? AND revision = ?').pluck(),
    putCalculation: db.prepare(
      `INSERT INTO au_calculations (workspace_id, id, revision, doc) VALUES (?, ?, ?, ?)
       ON CONFLICT (workspace_id, id, revision) DO UPDATE SET doc = excluded.doc`,
    ),
    putUser: db.prepare(
      `INSERT INTO au_users (workspace_id, mpid, doc, due_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (workspace_id, mpid) DO UPDATE SET doc = excluded.doc, due_ms = excluded.due_ms`,
    ),
    // Users' states, the MPIDs as a JSON array: one statement, prepared once, whatever their number.
    usersOf: db.prepare('SELECT mpid, doc, due_ms FROM au_users WHERE workspace_id = ? AND mpid IN (SELECT value FROM json_each(?))'),
    due: db.prepare(DUE_SQL),
    // A member is added only to an audience that exists: a flush evaluated before the audience
    // was deleted does not bring its memberships back. Rows: [workspace, audience, mpid, at].
    addMembers: db.prepare(
      `INSERT INTO au_members (workspace_id, audience_id, mpid, mpid_num, added_at_ms)
       SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, CAST(j.value ->> 2 AS INTEGER), j.value ->> 3 FROM json_each(?) j
       WHERE EXISTS (SELECT 1 FROM au_audiences a WHERE a.workspace_id = j.value ->> 0 AND a.id = j.value ->> 1)
       ON CONFLICT (workspace_id, audience_id, mpid_num) DO UPDATE SET added_at_ms = excluded.added_at_ms`,
    ),
    // Rows: [workspace, audience, mpid].
    removeMembers: db.prepare(
      `DELETE FROM au_members WHERE (workspace_id, audience_id, mpid_num) IN
         (SELECT value ->> 0, value ->> 1, CAST(value ->> 2 AS INTEGER) FROM json_each(?))`,
    ),
    // Rows: [workspace, audience, mpid, change, at], in order (their seqs follow it).
    appendChanges: db.prepare(
      `INSERT INTO au_changes (workspace_id, audience_id, mpid, change, at_ms)
       SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?) ORDER BY key`,
    ),
    putOffset: db.prepare(
      'INSERT INTO au_offsets (partition, log_offset) VALUES (?, ?) ON CONFLICT (partition) DO UPDATE SET log_offset = excluded.log_offset',
    ),
    offsets: db.prepare('SELECT partition, log_offset FROM au_offsets'),
    members: db.prepare('SELECT mpid, added_at_ms FROM au_members WHERE workspace_id = ? AND audience_id = ? ORDER BY mpid_num LIMIT ?'),
    membersAfter: db.prepare(
      'SELECT mpid, added_at_ms FROM au_members WHERE workspace_id = ? AND audience_id = ? AND mpid_num > ? ORDER BY mpid_num LIMIT ?',
    ),
    size: db.prepare('SELECT count(*) FROM au_members WHERE workspace_id = ? AND audience_id = ?').pluck(),
    membershipsOf: db.prepare(MEMBERSHIPS_OF_SQL),
    historyOf: db.prepare('SELECT * FROM au_changes WHERE workspace_id = ? AND mpid = ? ORDER BY seq'),
    changesAfter: db.prepare('SELECT * FROM au_changes WHERE seq > ? ORDER BY seq LIMIT ?'),
    audienceChangesAfter: db.prepare('SELECT * FROM au_changes WHERE seq > ? AND workspace_id = ? AND audience_id = ? ORDER BY seq LIMIT ?'),
    lastChangeSeq: db.prepare('SELECT max(seq) AS seq FROM au_changes'),
    audienceChangesPending: db.prepare('SELECT count(*) AS count, min(at_ms) AS oldest FROM au_changes WHERE seq > ? AND workspace_id = ? AND audience_id = ?'),
    eraseState: db.prepare(ERASE_USER_SQL.user),
    eraseMemberships: db.prepare(ERASE_USER_SQL.memberships),
    eraseHistory: db.prepare(ERASE_USER_SQL.history),
  };
}

type Statements = ReturnType<typeof prepare>;

/** The store's transactions over its statements. */
function transactions(db: Sqlite, s: Statements) {
  /**
   * A flush's changes: appended in order, then each membership they touch set to its last change
   * (an addition upserted, with its time; a removal deleted), each a statement over a JSON array
   * (one call into SQLite, not three per change).
   */
  const applyChanges = (changes: readonly MembershipChange[]) => {
    if (changes.length === 0) return;
    s.appendChanges.run(JSON.stringify(changes.map((c) => [c.workspaceId, c.audienceId, c.mpid, c.change, c.atMs])));
    const last = new Map<string, MembershipChange>();
    for (const c of changes) last.set(`${c.workspaceId}:${c.audienceId}:${c.mpid}`, c);
    const added: [number, number, string, number][] = [];
    const removed: [number, number, string][] = [];
    for (const c of last.values()) {
      if (c.change === 'added') added.push([c.workspaceId, c.audienceId, c.mpid, c.atMs]);
      else removed.push([c.workspaceId, c.audienceId, c.mpid]);
    }
    if (added.length > 0) s.addMembers.run(JSON.stringify(added));
    if (removed.length > 0) s.removeMembers.run(JSON.stringify(removed));
  };
  return {
    create: db.transaction((ws: WorkspaceId, audience: Omit<Audience, 'id' | 'workspaceId'>): Audience | 'name-taken' => {
      const inserted = s.insert.run(ws, nameKey(audience.name), '{}');
      if (inserted.changes === 0) return 'name-taken';
      const created: Audience = { id: Number(inserted.lastInsertRowid), workspaceId: ws, ...audience };
      s.setDoc.run(JSON.stringify(created), created.id);
      s.bump.run();
      return created;
    }),
    update: db.transaction((a: Audience): boolean | 'name-taken' => {
      if (s.exists.get(a.workspaceId, a.id) === undefined) return false;
      if (s.update.run(nameKey(a.name), JSON.stringify(a), a.workspaceId, a.id).changes === 0) return 'name-taken';
      s.bump.run();
      return true;
    }),
    delete: db.transaction((ws: WorkspaceId, id: number): boolean => {
      if (s.delete.run(ws, id).changes === 0) return false;
      s.deleteCalculations.run(ws, id);
      s.deleteMembers.run(ws, id);
      s.bump.run();
      return true;
    }),
    record: db.transaction((flush: AudienceFlush) => {
      for (const u of flush.users) s.putUser.run(u.workspaceId, u.mpid, userDoc(u), u.dueMs);
      applyChanges(flush.changes);
      for (const [partition, offset] of flush.offsets) s.putOffset.run(partition, offset);
      for (const c of flush.calculations ?? []) s.putCalculation.run(c.workspaceId, c.id, c.revision, JSON.stringify(c));
    }),
    replaceMembers: db.transaction((ws: WorkspaceId, id: number, mpids: readonly Mpid[], atMs: number, calculation: AudienceCalculation): boolean => {
      if (s.exists.get(ws, id) === undefined) return false;
      for (const mpid of mpids) s.select.run(mpidToBigInt(mpid), mpid);
      const args = { ws, id, atMs };
      for (const step of [s.removed, s.dropped, s.added, s.joined]) step.run(args);
      s.unselect.run();
      s.putCalculation.run(calculation.workspaceId, calculation.id, calculation.revision, JSON.stringify(calculation));
      return true;
    }),
    // Each from an index by user: au_users' UNIQUE (workspace_id, mpid), au_members_of_user, au_changes_of_user.
    eraseUsers: db.transaction((ws: WorkspaceId, mpids: readonly Mpid[]): number =>
      mpids.reduce(
        (n, mpid) => n + s.eraseState.run(ws, mpid).changes + s.eraseMemberships.run(ws, mpid).changes + s.eraseHistory.run(ws, mpid).changes,
        0,
      ),
    ),
    // `au_changes` keeps its AUTOINCREMENT counter: changes after a reset still follow every `seq` handed out.
    reset: db.transaction(() => {
      db.exec('DELETE FROM au_users; DELETE FROM au_members; DELETE FROM au_changes; DELETE FROM au_calculations; DELETE FROM au_offsets;');
    }),
  };
}

/** A user's state as `au_users.doc` keeps it ({@link UserDoc}), serialised by hand: the processor writes thousands at a time. */
function userDoc(u: AudienceUser): string {
  const keys = Object.keys(u.events);
  const ids = Object.keys(u.memberships);
  let b = 0;
  for (const key of keys) {
    const recent = u.events[key]!.recent;
    if (recent.length > 0 && recent[0]! > b) b = recent[0]!;
  }
  for (const id of ids) if (u.memberships[id]! > b) b = u.memberships[id]!;
  let e = '';
  for (const key of keys) {
    const { n, recent } = u.events[key]!;
    let track = String(n);
    for (const t of recent) track += `,${b - t}`;
    e += `${e === '' ? '' : ','}${JSON.stringify(key)}:[${track}]`;
  }
  let m = '';
  for (const id of ids) m += `${m === '' ? '' : ','}${JSON.stringify(id)}:${b - u.memberships[id]!}`;
  return `{"b":${b},"e":{${e}},"i":${JSON.stringify(u.identities)},"m":{${m}}}`;
}

/** A user's state from its row: a {@link UserDoc}, or a document of the form before it. */
function userOf(ws: WorkspaceId, mpid: Mpid, text: string, dueMs: number | null): AudienceUser {
  const doc = JSON.parse(text) as UserDoc | OldUserDoc;
  if (!('b' in doc)) return { workspaceId: ws, mpid, events: doc.events, identities: doc.identities, memberships: doc.memberships, dueMs };
  const events: AudienceUser['events'] = {};
  for (const key in doc.e) {
    const [n, ...recent] = doc.e[key]!;
    events[key] = { n: n!, recent: recent.map((d) => doc.b - d) };
  }
  const memberships: AudienceUser['memberships'] = {};
  for (const id in doc.m) memberships[id] = doc.b - doc.m[id]!;
  return { workspaceId: ws, mpid, events, identities: doc.i, memberships, dueMs };
}

function audienceOf(doc: string): Audience {
  const a = JSON.parse(doc) as Audience;
  return { ...a, workspaceId: workspaceId(a.workspaceId) };
}

function calculationOf(doc: string): AudienceCalculation {
  const c = JSON.parse(doc) as AudienceCalculation;
  return { ...c, workspaceId: workspaceId(c.workspaceId) };
}

function changeOf(r: ChangeRow): StoredMembershipChange {
  return { seq: r.seq, workspaceId: workspaceId(r.workspace_id), audienceId: r.audience_id, mpid: parseMpid(r.mpid) as Mpid, change: r.change, atMs: r.at_ms };
}
