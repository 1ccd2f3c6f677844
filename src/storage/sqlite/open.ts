import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Sqlite = Database.Database;

/**
 * Opens a SQLite file in WAL mode. `synchronous = FULL` makes every commit fsync the WAL, so a
 * committed transaction survives a crash of the process or of the machine.
 */
export function openSqlite(file: string, options: { autoCheckpoint?: boolean } = {}): Sqlite {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  // Without automatic checkpoints a commit never stalls on copying the WAL back; a
  // `Checkpointer` thread does that instead.
  if (options.autoCheckpoint === false) db.pragma('wal_autocheckpoint = 0');
  return db;
}
