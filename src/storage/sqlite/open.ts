import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Sqlite = Database.Database;

export interface SqliteOptions {
  autoCheckpoint?: boolean;
}

/**
 * The pragmas every Quanta connection runs with: WAL, and `synchronous = FULL` so every commit
 * fsyncs the WAL and a committed transaction survives a crash of the process or of the machine.
 */
export function sqlitePragmas(options: SqliteOptions = {}): string[] {
  const pragmas = ['journal_mode = WAL', 'synchronous = FULL', 'busy_timeout = 5000'];
  // Without automatic checkpoints a commit never stalls on copying the WAL back; a
  // `Checkpointer` thread does that instead.
  if (options.autoCheckpoint === false) pragmas.push('wal_autocheckpoint = 0');
  return pragmas;
}

/** Opens a SQLite file with {@link sqlitePragmas}. */
export function openSqlite(file: string, options: SqliteOptions = {}): Sqlite {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  for (const pragma of sqlitePragmas(options)) db.pragma(pragma);
  return db;
}
