// Runs SQLite WAL checkpoints for the files it is given, in its own thread and connections, so
// that copying the WAL back into the database never stalls the event loop. PASSIVE checkpoints
// neither wait for nor block the writers.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { nameThread } from '../../kernel/thread-name.mjs';
import { Peer } from '../../kernel/thread-rpc.mjs';

nameThread('quanta-checkpt');

const { files, intervalMs } = workerData;
const dbs = files.map((file) => {
  const db = new Database(file);
  db.pragma('busy_timeout = 1000');
  return db;
});
const timer = setInterval(() => {
  for (const db of dbs) {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // A busy database is checkpointed on the next tick.
    }
  }
}, intervalMs);

new Peer(parentPort).serve({
  /** A last checkpoint, then the connections close. */
  stop() {
    clearInterval(timer);
    for (const db of dbs) {
      try {
        db.pragma('wal_checkpoint(PASSIVE)');
      } finally {
        db.close();
      }
    }
  },
});
