// The event log's writer thread (see ./log-writer.ts): each request is one transaction on its own
// connection, fsync'ed before the reply, running the statements it was started with (the log's SQL
// lives in sqlite-event-log.ts). Plain JavaScript so that it starts without a TypeScript loader,
// in tens of milliseconds.
import Database from 'better-sqlite3';
import { nameThread } from '../../kernel/thread-name.mjs';
import { parentPort, workerData } from 'node:worker_threads';

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

parentPort.on('message', (request) => {
  if (request === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ id: request.id, offsets: write(request) });
  } catch (error) {
    parentPort.postMessage({ id: request.id, error: { message: String(error?.message ?? error), code: error?.code } });
  }
});
