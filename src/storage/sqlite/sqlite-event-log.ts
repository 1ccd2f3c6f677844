import type { AppendOutcome, EventLog } from '../../pipeline/event-log.ts';
import { partitionOf } from '../../pipeline/event-log.ts';
import { type Envelope, type LogRecord, withText } from '../../model/envelope.ts';
import { openSqlite, type Sqlite } from './open.ts';

interface Pending {
  envelopes: readonly Envelope[];
  resolve: (outcomes: AppendOutcome[]) => void;
  reject: (error: unknown) => void;
}

export interface SqliteEventLogOptions {
  file: string;
  partitions?: number;
  /** How many recent envelopes to keep parsed in memory so the processor need not re-parse them. */
  tailCacheSize?: number;
  /** How long a `dedupKey` is remembered (mParticle keeps source_request_id 30 to 60 days). */
  dedupRetentionMs?: number;
  /** False when a `Checkpointer` thread checkpoints this file. */
  autoCheckpoint?: boolean;
}

/**
 * The embedded event log: one SQLite table in WAL mode with fsync on commit.
 *
 * Appends arriving while a commit runs are queued and written together in the next transaction
 * (group commit), so durability costs one fsync per group, not per request.
 */
export class SqliteEventLog implements EventLog {
  readonly partitionCount: number;
  /** Appends: every commit is fsync'ed before `append` resolves. */
  private readonly db: Sqlite;
  /**
   * Reads and consumer offsets, on a second connection that does not fsync its commits: an
   * offset lost to a power cut only means re-processing, which stages recover from.
   */
  private readonly reader: Sqlite;
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private readonly listeners = new Set<(p: ReadonlySet<number>) => void>();
  private readonly tail = new Map<number, { env: Envelope; text: string }>();
  private readonly tailCacheSize: number;
  private readonly stmt;

  constructor(options: SqliteEventLogOptions) {
    this.db = openSqlite(options.file, { autoCheckpoint: options.autoCheckpoint ?? true });
    this.tailCacheSize = options.tailCacheSize ?? 20_000;
    this.db.exec(`
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
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `);
    this.partitionCount = this.fixPartitionCount(options.partitions ?? 8);
    this.reader = openSqlite(options.file, { autoCheckpoint: options.autoCheckpoint ?? true });
    this.reader.pragma('synchronous = NORMAL');
    const retention = options.dedupRetentionMs ?? 45 * 24 * 3600_000;
    this.db.prepare('DELETE FROM dedup WHERE at < ?').run(Date.now() - retention);
    this.stmt = {
      dedup: this.db.prepare('INSERT OR IGNORE INTO dedup (key, at) VALUES (?, ?)'),
      insert: this.db.prepare('INSERT INTO log (partition, payload) VALUES (?, ?)'),
      offsets: this.reader.prepare('SELECT offset FROM log WHERE partition = ? AND offset > ? ORDER BY offset LIMIT ?').pluck(),
      payload: this.reader.prepare('SELECT payload FROM log WHERE offset = ?').pluck(),
      commit: this.reader.prepare(
        'INSERT INTO consumer_offsets (consumer, partition, offset) VALUES (?, ?, ?) ' +
          'ON CONFLICT (consumer, partition) DO UPDATE SET offset = excluded.offset',
      ),
      committed: this.reader.prepare('SELECT offset FROM consumer_offsets WHERE consumer = ? AND partition = ?').pluck(),
      lag: this.reader.prepare('SELECT count(*) FROM log WHERE partition = ? AND offset > ?').pluck(),
    };
  }

  /** The partition count is fixed when the log is created: users must keep their partition. */
  private fixPartitionCount(requested: number): number {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'partitions'").pluck().get() as string | undefined;
    if (row !== undefined) return Number(row);
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('partitions', ?)").run(String(requested));
    return requested;
  }

  append(envelopes: readonly Envelope[]): Promise<AppendOutcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ envelopes, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const group = this.queue.splice(0);
    if (group.length === 0) return;
    const grown = new Set<number>();
    const cached: [number, { env: Envelope; text: string }][] = [];
    const now = Date.now();
    const write = this.db.transaction((pending: Pending[]) =>
      pending.map((p) =>
        p.envelopes.map((env): AppendOutcome => {
          if (env.dedupKey !== null && this.stmt.dedup.run(env.dedupKey, now).changes === 0) {
            return { duplicate: true };
          }
          const partition = partitionOf(env.workspaceId, env.mpid, this.partitionCount);
          const text = JSON.stringify(env);
          const offset = Number(this.stmt.insert.run(partition, text).lastInsertRowid);
          grown.add(partition);
          cached.push([offset, { env, text }]);
          return { duplicate: false, partition, offset };
        }),
      ),
    );
    let results: AppendOutcome[][];
    try {
      results = write(group);
    } catch (error) {
      for (const p of group) p.reject(error);
      return;
    }
    for (const [offset, entry] of cached) this.tail.set(offset, entry);
    this.trimTail();
    group.forEach((p, i) => p.resolve(results[i]!));
    if (grown.size > 0) for (const l of this.listeners) l(grown);
  }

  private trimTail(): void {
    const excess = this.tail.size - this.tailCacheSize;
    if (excess <= 0) return;
    let n = 0;
    for (const key of this.tail.keys()) {
      if (n++ >= excess) break;
      this.tail.delete(key);
    }
  }

  async read(partition: number, afterOffset: number, limit: number): Promise<LogRecord[]> {
    const offsets = this.stmt.offsets.all(partition, afterOffset, limit) as number[];
    return offsets.map((offset) => {
      const cached = this.tail.get(offset);
      const text = cached?.text ?? (this.stmt.payload.get(offset) as string);
      const env = cached?.env ?? (JSON.parse(text) as Envelope);
      return withText({ ...env, partition, offset }, text);
    });
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

  async close(): Promise<void> {
    if (this.queue.length > 0) this.flush();
    this.reader.close();
    this.db.close();
  }
}
