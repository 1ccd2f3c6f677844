import type { InputId, Mpid, WorkspaceId } from '../../kernel/ids.ts';
import type {
  ChunkDone,
  CursorState,
  DeadLetter,
  DeliveryStore,
  StreamAppend,
} from '../../connections/delivery-store.ts';
import type { AudienceChange } from '../../connections/audience-change.ts';
import type { StreamBatch } from '../../connections/stream-batch.ts';
import type { Batch } from '../../model/batch.ts';
import { parseJsonLossless } from '../../kernel/lossless-json.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

/** The delivery store's schema, in its own file (`delivery.sqlite`). */
export const DELIVERY_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'the delivery stream, connection cursors and dead letters',
    up: `
      CREATE TABLE IF NOT EXISTS stream (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL, input_id INTEGER NOT NULL, mpid TEXT NOT NULL,
        received_at_ms INTEGER NOT NULL, log_partition INTEGER NOT NULL, log_offset INTEGER NOT NULL,
        batch TEXT NOT NULL,
        UNIQUE (log_partition, log_offset)
      );
      CREATE INDEX IF NOT EXISTS stream_by_ws ON stream (workspace_id, seq);
      CREATE INDEX IF NOT EXISTS stream_by_time ON stream (received_at_ms);
      CREATE TABLE IF NOT EXISTS cursors (
        connection_id INTEGER PRIMARY KEY, committed INTEGER NOT NULL, claimed INTEGER NOT NULL,
        sent INTEGER NOT NULL DEFAULT 0, filtered INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
        retried INTEGER NOT NULL DEFAULT 0, dead_lettered INTEGER NOT NULL DEFAULT 0,
        last_error_at_ms INTEGER, last_error TEXT
      );
      CREATE TABLE IF NOT EXISTS dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT, connection_id INTEGER NOT NULL, key TEXT NOT NULL,
        batches TEXT NOT NULL, changes TEXT NOT NULL, error TEXT NOT NULL, attempts INTEGER NOT NULL, created_at_ms INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS dead_letters_by_connection ON dead_letters (connection_id, id);
    `,
  },
  {
    version: 2,
    description: "stream batches by user, and the users of each dead letter (erasing a user's)",
    // Dead letters of batches name their users (each batch its workspace and MPID); those of
    // membership changes written before this version name no workspace and are left unindexed.
    up: `
      CREATE INDEX stream_by_user ON stream (workspace_id, mpid);
      CREATE TABLE dead_letter_users (
        workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, dead_letter_id INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, mpid, dead_letter_id)
      ) WITHOUT ROWID;
      CREATE INDEX dead_letter_users_by_letter ON dead_letter_users (dead_letter_id);
      INSERT OR IGNORE INTO dead_letter_users (workspace_id, mpid, dead_letter_id)
        SELECT b.value ->> '$.workspaceId', b.value ->> '$.mpid', d.id FROM dead_letters d, json_each(d.batches) b;
    `,
  },
];

/** What `eraseUsers` reads and deletes of each user, each `(workspace, mpid)`: exported so that the adapter's test can check each is an index search. */
export const ERASE_USER_SQL = {
  stream: 'DELETE FROM stream WHERE workspace_id = ? AND mpid = ?',
  letters: `SELECT d.id, d.connection_id, d.batches, d.changes FROM dead_letter_users u JOIN dead_letters d ON d.id = u.dead_letter_id
    WHERE u.workspace_id = ? AND u.mpid = ?`,
  letterUsers: 'DELETE FROM dead_letter_users WHERE workspace_id = ? AND mpid = ?',
} as const;

interface StreamRow {
  seq: number;
  workspace_id: number;
  input_id: number;
  mpid: string;
  received_at_ms: number;
  batch: string;
}
interface CursorRow {
  committed: number;
  claimed: number;
  sent: number;
  filtered: number;
  failed: number;
  retried: number;
  dead_lettered: number;
  last_error_at_ms: number | null;
  last_error: string | null;
}
interface DeadLetterRow {
  id: number;
  connection_id: number;
  key: string;
  batches: string;
  changes: string;
  error: string;
  attempts: number;
  created_at_ms: number;
}

/** A stream row as a batch: its JSON parsed only when an output reads `batch` (many send `text` as it is). */
function batchOf(row: StreamRow): StreamBatch {
  let parsed: Batch | undefined;
  const b = { seq: row.seq, workspaceId: row.workspace_id as WorkspaceId, inputId: row.input_id as InputId, mpid: row.mpid as Mpid, receivedAtMs: row.received_at_ms, text: row.batch };
  return Object.defineProperty(b, 'batch', { enumerable: true, get: () => (parsed ??= parseJsonLossless(row.batch) as Batch) }) as StreamBatch;
}
const deadLetterOf = (r: DeadLetterRow): DeadLetter => ({
  id: r.id,
  connectionId: r.connection_id,
  key: r.key,
  batches: JSON.parse(r.batches) as StreamBatch[],
  changes: JSON.parse(r.changes) as AudienceChange[],
  error: r.error,
  attempts: r.attempts,
  createdAtMs: r.created_at_ms,
});

/**
 * The delivery stream in SQLite, in its own file: appends fsync (`synchronous = FULL`) before the
 * processor commits the log offsets they came from, so an acknowledged batch is never lost
 * between the log and the outputs.
 */
export class SqliteDeliveryStore implements DeliveryStore {
  private readonly db: Sqlite;
  private readonly appendTx;
  private readonly commitTx;
  private readonly selectAfter;
  private readonly eraseTx: (ws: WorkspaceId, mpids: readonly Mpid[]) => number;

  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'delivery', DELIVERY_MIGRATIONS, options);
    // Not INSERT OR IGNORE: an ignored insert would still use up a seq, and seqs stay dense.
    const insert = this.db.prepare(
      `INSERT INTO stream (workspace_id, input_id, mpid, received_at_ms, log_partition, log_offset, batch)
       SELECT @ws, @input, @mpid, @at, @partition, @offset, @batch
       WHERE NOT EXISTS (SELECT 1 FROM stream WHERE log_partition = @partition AND log_offset = @offset)`,
    );
    this.appendTx = this.db.transaction((rows: readonly StreamAppend[]) => {
      for (const r of rows) insert.run({ ws: r.workspaceId, input: r.inputId, mpid: r.mpid, at: r.receivedAtMs, partition: r.logPartition, offset: r.logOffset, batch: r.batch });
    });
    const move = this.db.prepare(
      `UPDATE cursors SET committed = @end, claimed = max(claimed, @end), sent = sent + @sent, filtered = filtered + @filtered,
         failed = failed + @failed, retried = retried + @retried, dead_lettered = dead_lettered + @dead_lettered,
         last_error_at_ms = coalesce(@atMs, last_error_at_ms), last_error = coalesce(@message, last_error)
       WHERE connection_id = @id`,
    );
    const keep = this.db.prepare(
      'INSERT INTO dead_letters (connection_id, key, batches, changes, error, attempts, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const keepUser = this.db.prepare('INSERT OR IGNORE INTO dead_letter_users (workspace_id, mpid, dead_letter_id) VALUES (?, ?, ?)');
    this.commitTx = this.db.transaction((id: number, done: ChunkDone) => {
      move.run({ id, end: done.end, ...done.counts, atMs: done.lastError?.atMs ?? null, message: done.lastError?.message ?? null });
      for (const d of done.deadLetters) {
        const letter = keep.run(id, d.key, JSON.stringify(d.batches), JSON.stringify(d.changes), d.error, d.attempts, d.createdAtMs).lastInsertRowid;
        for (const b of d.batches) keepUser.run(b.workspaceId, b.mpid, letter);
        for (const c of d.changes) keepUser.run(done.workspaceId, c.mpid, letter);
      }
    });
    this.eraseTx = eraseUsersTransaction(this.db);
    this.selectAfter = this.db.prepare('SELECT seq, workspace_id, input_id, mpid, received_at_ms, batch FROM stream WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  }

  async append(rows: readonly StreamAppend[]): Promise<void> {
    if (rows.length > 0) this.appendTx(rows);
  }

  async read(ws: WorkspaceId, afterSeq: number, limit: number): Promise<StreamBatch[]> {
    return (this.selectAfter.all(ws, afterSeq, limit) as StreamRow[]).map(batchOf);
  }

  async endSeq(): Promise<number> {
    // The table's AUTOINCREMENT counter: the last seq given out, also after a prune emptied it.
    const row = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'stream'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  async seqBefore(ms: number): Promise<number> {
    const row = this.db.prepare('SELECT min(seq) AS seq FROM stream WHERE received_at_ms >= ?').get(ms) as { seq: number | null };
    return row.seq === null ? this.endSeq() : row.seq - 1;
  }

  async cursor(connectionId: number, startSeq: number): Promise<CursorState> {
    this.db.prepare('INSERT OR IGNORE INTO cursors (connection_id, committed, claimed) VALUES (?, ?, ?)').run(connectionId, startSeq, startSeq);
    return (await this.peekCursor(connectionId))!;
  }

  async peekCursor(connectionId: number): Promise<CursorState | undefined> {
    const r = this.db.prepare('SELECT * FROM cursors WHERE connection_id = ?').get(connectionId) as CursorRow | undefined;
    if (!r) return undefined;
    return {
      committed: r.committed,
      claimed: r.claimed,
      sent: r.sent,
      filtered: r.filtered,
      failed: r.failed,
      retried: r.retried,
      dead_lettered: r.dead_lettered,
      lastError: r.last_error === null ? null : { atMs: r.last_error_at_ms ?? 0, message: r.last_error },
    };
  }

  async claim(connectionId: number, end: number): Promise<void> {
    this.db.prepare('UPDATE cursors SET claimed = ? WHERE connection_id = ?').run(end, connectionId);
  }

  async commit(connectionId: number, done: ChunkDone): Promise<void> {
    this.commitTx(connectionId, done);
  }

  async pending(ws: WorkspaceId, afterSeq: number): Promise<{ count: number; oldestReceivedAtMs: number | null }> {
    const row = this.db
      .prepare('SELECT count(*) AS count, min(received_at_ms) AS oldest FROM stream WHERE workspace_id = ? AND seq > ?')
      .get(ws, afterSeq) as { count: number; oldest: number | null };
    return { count: row.count, oldestReceivedAtMs: row.oldest };
  }

  async deadLetters(connectionId: number, limit: number, afterId = 0): Promise<DeadLetter[]> {
    const rows = this.db
      .prepare('SELECT * FROM dead_letters WHERE connection_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(connectionId, afterId, limit) as DeadLetterRow[];
    return rows.map(deadLetterOf);
  }

  async deadLettersById(connectionId: number, ids?: readonly number[]): Promise<DeadLetter[]> {
    const rows =
      ids === undefined
        ? (this.db.prepare('SELECT * FROM dead_letters WHERE connection_id = ? ORDER BY id').all(connectionId) as DeadLetterRow[])
        : (this.db
            .prepare('SELECT * FROM dead_letters WHERE connection_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id')
            .all(connectionId, JSON.stringify(ids)) as DeadLetterRow[]);
    return rows.map(deadLetterOf);
  }

  async resolveDeadLetter(connectionId: number, id: number): Promise<void> {
    this.db.transaction(() => {
      const row = this.db.prepare('DELETE FROM dead_letters WHERE connection_id = ? AND id = ? RETURNING batches, changes').get(connectionId, id) as
        | { batches: string; changes: string }
        | undefined;
      if (!row) return;
      this.db.prepare('DELETE FROM dead_letter_users WHERE dead_letter_id = ?').run(id);
      const count = (JSON.parse(row.batches) as unknown[]).length + (JSON.parse(row.changes) as unknown[]).length;
      this.db.prepare('UPDATE cursors SET sent = sent + ?, dead_lettered = dead_lettered - ? WHERE connection_id = ?').run(count, count, connectionId);
    })();
  }

  async failDeadLetter(connectionId: number, id: number, error: string, nowMs: number): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('UPDATE dead_letters SET attempts = attempts + 1, error = ? WHERE connection_id = ? AND id = ?').run(error, connectionId, id);
      this.db.prepare('UPDATE cursors SET failed = failed + 1, last_error_at_ms = ?, last_error = ? WHERE connection_id = ?').run(nowMs, error, connectionId);
    })();
  }

  async dropConnection(connectionId: number): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM cursors WHERE connection_id = ?').run(connectionId);
      this.db.prepare('DELETE FROM dead_letter_users WHERE dead_letter_id IN (SELECT id FROM dead_letters WHERE connection_id = ?)').run(connectionId);
      this.db.prepare('DELETE FROM dead_letters WHERE connection_id = ?').run(connectionId);
    })();
  }

  async prune(beforeMs: number): Promise<number> {
    const passed = this.db.prepare('SELECT min(committed) AS seq FROM cursors').get() as { seq: number | null };
    const limit = passed.seq ?? Number.MAX_SAFE_INTEGER;
    return this.db.prepare('DELETE FROM stream WHERE received_at_ms < ? AND seq <= ?').run(beforeMs, limit).changes;
  }

  async eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    return this.eraseTx(ws, mpids);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * `eraseUsers`' transaction: each user's stream rows, then each dead letter holding the users'
 * batches or changes (found from `dead_letter_users`, user by user) rewritten once without them,
 * or deleted when nothing is left, with its connection's `dead_lettered` count lowered by what
 * went. A dead letter's changes are all of its connection's workspace (the one
 * `dead_letter_users` names).
 */
function eraseUsersTransaction(db: Sqlite): (ws: WorkspaceId, mpids: readonly Mpid[]) => number {
  const stream = db.prepare(ERASE_USER_SQL.stream);
  const letters = db.prepare(ERASE_USER_SQL.letters);
  const letterUsers = db.prepare(ERASE_USER_SQL.letterUsers);
  const rewrite = db.prepare('UPDATE dead_letters SET batches = ?, changes = ? WHERE id = ?');
  const drop = db.prepare('DELETE FROM dead_letters WHERE id = ?');
  const uncount = db.prepare('UPDATE cursors SET dead_lettered = max(0, dead_lettered - ?) WHERE connection_id = ?');
  type Letter = Pick<DeadLetterRow, 'id' | 'connection_id' | 'batches' | 'changes'>;
  return db.transaction((ws: WorkspaceId, mpids: readonly Mpid[]): number => {
    const erased = new Set<string>(mpids);
    const held = new Map<number, Letter>();
    let removed = 0;
    for (const mpid of mpids) {
      removed += stream.run(ws, mpid).changes;
      for (const d of letters.all(ws, mpid) as Letter[]) held.set(d.id, d);
    }
    for (const d of held.values()) {
      const batches = JSON.parse(d.batches) as StreamBatch[];
      const changes = JSON.parse(d.changes) as AudienceChange[];
      const keptBatches = batches.filter((b) => b.workspaceId !== ws || !erased.has(b.mpid));
      const keptChanges = changes.filter((c) => !erased.has(c.mpid));
      const gone = batches.length - keptBatches.length + changes.length - keptChanges.length;
      if (keptBatches.length + keptChanges.length === 0) drop.run(d.id);
      else rewrite.run(JSON.stringify(keptBatches), JSON.stringify(keptChanges), d.id);
      uncount.run(gone, d.connection_id);
      removed += gone;
    }
    for (const mpid of mpids) letterUsers.run(ws, mpid);
    return removed;
  });
}

