// The event log's writer thread (see ./log-writer.ts): each `write` is one transaction on its own
// connection, fsync'ed before it answers, running the statements it was started with (the log's SQL
// lives in sqlite-event-log.ts). Plain JavaScript so that it starts without a TypeScript loader,
// in tens of milliseconds.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { nameThread } from '../../kernel/thread-name.mjs';
import { Peer } from '../../kernel/thread-rpc.mjs';

nameThread('quanta-logwrite');

const { file, pragmas, statements, duplicate } = workerData;
const db = new Database(file);
for (const pragma of pragmas) db.pragma(pragma);
const dedup = db.prepare(statements.dedup);
const insert = db.prepare(statements.insert);

const write = db.transaction((request) =>
  request.texts.map((text, i) => {
    const key = request.dedupKeys[i];
    if (key !== null && dedup.run(key, request.now).changes === 0) return duplicate;
    return Number(insert.run(request.partitions[i], text).lastInsertRowid);
  }),
);

new Peer(parentPort).serve({
  write,
  close() {
    db.close();
    // Ends the thread once this answer is sent.
    setImmediate(() => parentPort.close());
  },
});
