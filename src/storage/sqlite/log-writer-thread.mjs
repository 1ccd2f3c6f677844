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
const lastOffset = db.prepare(statements.lastOffset).pluck();
const tombstone = db.prepare(statements.tombstone);
const eraseUser = db.prepare(statements.erase);

const write = db.transaction((request) =>
  request.texts.map((text, i) => {
    const key = request.dedupKeys[i];
    if (key !== null && dedup.run(key, request.now).changes === 0) return duplicate;
    return Number(insert.run(request.partitions[i], text, request.workspaces[i], request.mpids[i]).lastInsertRowid);
  }),
);

const erase = db.transaction((request) => {
  const offset = lastOffset.get() ?? 0;
  let deleted = 0;
  for (const [workspace, mpid] of request.users) {
    tombstone.run(workspace, mpid, offset, request.now);
    deleted += eraseUser.run(workspace, mpid).changes;
  }
  return deleted;
});

new Peer(parentPort).serve({
  write,
  erase,
  close() {
    db.close();
    // Ends the thread once this answer is sent.
    setImmediate(() => parentPort.close());
  },
});
