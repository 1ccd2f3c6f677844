import { type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';
import type { AppendOutcome, EventLog, Tombstone, UserRef } from '../../pipeline/event-log.ts';
import { partitionOf } from '../../pipeline/event-log.ts';
import { type Envelope, type LogRecord, withText } from '../../model/envelope.ts';
import { DUPLICATE, LogWriter } from './log-writer.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import { openSqlite, type Sqlite } from './open.ts';

interface Pending {
  envelopes: readonly Envelope[];
  resolve: (outcomes: AppendOutcome[]) => void;
  reject: (error: unknown) => void;
}

export interface SqliteEventLogOptions {
  file: string;
  partitions?: number;
  /** How long a `dedupKey` is remembered (mParticle keeps source_request_id 30 to 60 days). */
  dedupRetentionMs?: number;
  /** False when a `Checkpointer` thread checkpoints this file. */
  autoCheckpoint?: boolean;
  /** False to only read and commit offsets (the processor thread): no writer thread is started. */
  appends?: boolean;
}

/** The log's tables: the records, the dedup keys seen, consumer offsets and the partition count. */
export const LOG_SCHEMA = `
  CREATE TABLE IF NOT EXISTS log (
    offset INTEGER PRIMARY KEY AUTOINCREMENT,
    partition INTEGER NOT NULL,
    payload TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS log_by_partition ON log (partition, offset);
  CREATE TABLE IF NOT EXISTS dedup (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS consumer_offsets (
    consumer TEXT NOT NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL,
    PRIMARY KEY (consumer, partition)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`;

/**
 * Version 2: each record's workspace and MPID in columns of their own, indexed, so that an
 * erasure deletes a user's records by the index instead of reading every payload (filled in for
 * the records already there), and the erased users' tombstones.
 */
const USER_COLUMNS = `
  ALTER TABLE log ADD COLUMN workspace INTEGER;
  ALTER TABLE log ADD COLUMN mpid TEXT;
  UPDATE log SET workspace = json_extract(payload, '$.workspaceId'), mpid = json_extract(payload, '$.mpid');
  CREATE INDEX IF NOT EXISTS log_by_user ON log (workspace, mpid);
  CREATE TABLE IF NOT EXISTS tombstones (
    workspace INTEGER NOT NULL, mpid TEXT NOT NULL, offset INTEGER NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (workspace, mpid)
  ) WITHOUT ROWID;`;

/** The log's schema, run by ./migrate-sqlite.ts when the log opens; version 1 is {@link LOG_SCHEMA}. */
export const LOG_MIGRATIONS: readonly SqliteMigration[] = [
  { version: 1, description: 'log records, dedup keys, consumer offsets and meta', up: LOG_SCHEMA },
  { version: 2, description: "records' workspace and MPID indexed, and erased users' tombstones", up: USER_COLUMNS },
];

/**
 * How the writer thread appends and erases: a dedup key is kept unless seen before; a record gets
 * the next offset; a tombstone is written at the last offset (or moved on to it) and the user's
 * records deleted by `log_by_user`.
 */
export const APPEND_SQL = {
  dedup: 'INSERT OR IGNORE INTO dedup (key, at) VALUES (?, ?)',
  insert: 'INSERT INTO log (partition, payload, workspace, mpid) VALUES (?, ?, ?, ?)',
  lastOffset: 'SELECT max(offset) FROM log',
  tombstone:
    'INSERT INTO tombstones (workspace, mpid, offset, at) VALUES (?, ?, ?, ?) ' +
    'ON CONFLICT (workspace, mpid) DO UPDATE SET offset = max(offset, excluded.offset), at = excluded.at',
  erase: 'DELETE FROM log WHERE workspace = ? AND mpid = ?',
};

/** Users per erase transaction: appends wait for one at most, not for a whole erasure. */
const ERASE_CHUNK = 500;

/**
 * The embedded event log: one SQLite table in WAL mode with fsync on commit.
 *
 * Appends arriving while a commit runs are queued and written together in the next transaction
 * (group commit), so durability costs one fsync per group, not per request. The transaction runs
 * on a writer thread (`LogWriter`): the event loop only serialises the envelopes, and goes on
 * answering requests while the group is inserted and fsync'ed.
 */
export class SqliteEventLog implements EventLog {
  readonly partitionCount: number;
  /**
   * Reads and consumer offsets. Its commits are not fsync'ed: an offset lost to a power cut only
   * means re-processing, which stages recover from.
   */
  private readonly reader: Sqlite;
  /** None when the log is opened to be read and committed only (`appends: false`). */
  private readonly writer: LogWriter | undefined;
  private readonly queue: Pending[] = [];
  private scheduled = false;
  /** The group commit the writer thread holds, if any: one at a time, so groups land in order. */
  private writing: Promise<void> | undefined;
  private readonly listeners = new Set<(p: ReadonlySet<number>) => void>();
  private readonly stmt;

  constructor(options: SqliteEventLogOptions) {
    const autoCheckpoint = options.autoCheckpoint ?? true;
    const db = openSqliteStore(options.file, 'log', LOG_MIGRATIONS, { autoCheckpoint });
    this.partitionCount = fixPartitionCount(db, options.partitions ?? 8);
    if (options.appends !== false) {
      const retention = options.dedupRetentionMs ?? 45 * 24 * 3600_000;
      db.prepare('DELETE FROM dedup WHERE at < ?').run(Date.now() - retention);
      this.writer = new LogWriter(options.file, { autoCheckpoint }, APPEND_SQL);
    }
    db.close();
    this.reader = openSqlite(options.file, { autoCheckpoint });
    this.reader.pragma('synchronous = NORMAL');
    this.stmt = {
      records: this.reader.prepare('SELECT offset, payload FROM log WHERE partition = ? AND offset > ? ORDER BY offset LIMIT ?').raw(),
      commit: this.reader.prepare(
        'INSERT INTO consumer_offsets (consumer, partition, offset) VALUES (?, ?, ?) ' +
          'ON CONFLICT (consumer, partition) DO UPDATE SET offset = excluded.offset',
      ),
      committed: this.reader.prepare('SELECT offset FROM consumer_offsets WHERE consumer = ? AND partition = ?').pluck(),
      lag: this.reader.prepare('SELECT count(*) FROM log WHERE partition = ? AND offset > ?').pluck(),
      tombstones: this.reader.prepare('SELECT workspace, mpid, offset, at FROM tombstones').raw(),
    };
  }

  append(envelopes: readonly Envelope[]): Promise<AppendOutcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ envelopes, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.writing) void this.startWrite();
    });
  }

  /** Sends what is queued to the writer thread as one group commit; the next group waits for it. */
  private startWrite(): Promise<void> {
    this.writing = this.flush().finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
    return this.writing;
  }

  /** One group commit; never rejects (a failed write rejects the appends it held). */
  private async flush(): Promise<void> {
    const group = this.queue.splice(0);
    if (group.length === 0) return;
    const envs = group.flatMap((p) => p.envelopes);
    const partitions = envs.map((env) => partitionOf(env.workspaceId, env.mpid, this.partitionCount));
    const texts = envs.map((env) => JSON.stringify(env));
    let offsets: number[];
    try {
      if (!this.writer) throw new Error('this event log was opened without appends');
      offsets = await this.writer.write({
        now: Date.now(),
        partitions,
        workspaces: envs.map((env) => env.workspaceId),
        mpids: envs.map((env) => env.mpid),
        texts,
        dedupKeys: envs.map((env) => env.dedupKey),
      });
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    const grown = new Set<number>();
    const outcomes = offsets.map((offset, i): AppendOutcome => {
      if (offset === DUPLICATE) return { duplicate: true };
      const partition = partitions[i]!;
      grown.add(partition);
      return { duplicate: false, partition, offset };
    });
    let at = 0;
    for (const p of group) p.resolve(outcomes.slice(at, (at += p.envelopes.length)));
    if (grown.size > 0) for (const l of this.listeners) l(grown);
  }

  async tombstone(users: readonly UserRef[]): Promise<number> {
    let deleted = 0;
    for (let at = 0; at < users.length; at += ERASE_CHUNK) {
      const chunk = users.slice(at, at + ERASE_CHUNK).map((u): [number, string] => [u.workspaceId, u.mpid]);
      deleted += await this.exclusiveWrite(() => {
        if (!this.writer) throw new Error('this event log was opened without appends');
        return this.writer.erase({ now: Date.now(), users: chunk });
      });
    }
    return deleted;
  }

  async tombstones(): Promise<Tombstone[]> {
    return (this.stmt.tombstones.all() as [number, string, number, number][]).map(([ws, mpid, offset, atMs]) => ({
      workspaceId: workspaceId(ws),
      mpid: parseMpid(mpid) as Mpid,
      offset,
      atMs,
    }));
  }

  /**
   * Runs `write` on the writer thread in turn with the group commits: after the group in flight
   * (and so after every append queued before it), before the next group starts.
   */
  private async exclusiveWrite<T>(write: () => Promise<T>): Promise<T> {
    // What is queued now goes first; what is appended meanwhile may go after (and is erased by the next call).
    if (this.writing) await this.writing;
    if (this.queue.length > 0 && !this.writing) await this.startWrite();
    while (this.writing) await this.writing;
    const done = write();
    this.writing = done.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.writing = undefined;
      if (this.queue.length > 0) this.schedule();
    });
    return done;
  }

  async read(partition: number, afterOffset: number, limit: number): Promise<LogRecord[]> {
    const rows = this.stmt.records.all(partition, afterOffset, limit) as [number, string][];
    return rows.map(([offset, text]) => withText({ ...(JSON.parse(text) as Envelope), partition, offset }, text));
  }

  onAppend(listener: (partitions: ReadonlySet<number>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async commit(consumer: string, partition: number, offset: number): Promise<void> {
    this.stmt.commit.run(consumer, partition, offset);
  }

  async committed(consumer: string, partition: number): Promise<number> {
    return (this.stmt.committed.get(consumer, partition) as number | undefined) ?? 0;
  }

  async lag(consumer: string): Promise<number> {
    let total = 0;
    for (let p = 0; p < this.partitionCount; p++) {
      total += this.stmt.lag.get(p, await this.committed(consumer, p)) as number;
    }
    return total;
  }

  /** Commits what is queued, then closes. */
  async close(): Promise<void> {
    while (this.writing || this.queue.length > 0) await (this.writing ?? this.startWrite());
    await this.writer?.close();
    this.reader.close();
  }
}

/** The partition count is fixed when the log is created: users must keep their partition. */
function fixPartitionCount(db: Sqlite, requested: number): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'partitions'").pluck().get() as string | undefined;
  if (row !== undefined) return Number(row);
  db.prepare("INSERT INTO meta (key, value) VALUES ('partitions', ?)").run(String(requested));
  return requested;
}
