import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { DUPLICATE, LogWriter } from './log-writer.ts';
import { openSqlite } from './open.ts';
import { APPEND_SQL, LOG_MIGRATIONS } from './sqlite-event-log.ts';

const rows = (texts: string[], dedupKeys = texts.map(() => null as string | null)) => ({
  now: Date.now(),
  partitions: texts.map(() => 0),
  workspaces: texts.map(() => 1),
  mpids: texts.map(() => '7'),
  texts,
  dedupKeys,
});

function createLogTables(file: string): void {
  const db = openSqlite(file);
  for (const m of LOG_MIGRATIONS) if (typeof m.up === 'string') db.exec(m.up);
  db.close();
}

describe('LogWriter', () => {
  let writer: LogWriter | undefined;
  afterEach(async () => {
    await writer?.close();
    writer = undefined;
  });

  it('writes a group in one transaction and tells duplicates apart', async () => {
    const file = join(tempDir('log-writer'), 'log.sqlite');
    createLogTables(file);
    writer = new LogWriter(file, {}, APPEND_SQL);
    expect(await writer.write(rows(['a', 'b', 'c'], ['k1', null, 'k1']))).toEqual([1, 2, DUPLICATE]);
    expect(await writer.write(rows(['d'], ['k1']))).toEqual([DUPLICATE]);
    const db = openSqlite(file);
    expect(db.prepare('SELECT payload FROM log ORDER BY offset').pluck().all()).toEqual(['a', 'b']);
    db.close();
  });

  it('fails the writes of a thread that cannot start, and starts a new one for the next write', async () => {
    const dir = join(tempDir('log-writer'), 'not-yet');
    const file = join(dir, 'log.sqlite');
    writer = new LogWriter(file, {}, APPEND_SQL);
    await expect(writer.write(rows(['lost']))).rejects.toThrow(/directory does not exist/);
    mkdirSync(dir);
    createLogTables(file);
    expect(await writer.write(rows(['kept']))).toEqual([1]);
  });

  it('refuses writes once closed', async () => {
    const file = join(tempDir('log-writer'), 'log.sqlite');
    createLogTables(file);
    const closed = new LogWriter(file, {}, APPEND_SQL);
    await closed.close();
    await expect(closed.write(rows(['late']))).rejects.toThrow(/closed/);
  });

  it('answers a transaction that fails with its error, commits nothing of it, and goes on writing', async () => {
    const file = join(tempDir('log-writer'), 'log.sqlite');
    createLogTables(file);
    writer = new LogWriter(file, {}, APPEND_SQL);
    expect(await writer.write(rows(['a']))).toEqual([1]);
    const db = openSqlite(file);
    db.exec('DROP TABLE log');
    await expect(writer.write(rows(['b'], ['k2']))).rejects.toThrow(/no such table: log/);
    createLogTables(file);
    expect(await writer.write(rows(['c'], ['k2']))).toEqual([1]);
    db.close();
  });

  it("erases in turn with the writes: tombstones at the last offset and the users' records deleted", async () => {
    const file = join(tempDir('log-writer'), 'log.sqlite');
    createLogTables(file);
    writer = new LogWriter(file, {}, APPEND_SQL);
    await writer.write({ ...rows(['a', 'b', 'c']), mpids: ['7', '8', '7'] });
    expect(await writer.erase({ now: 5, users: [[1, '7']] })).toBe(2);
    const db = openSqlite(file);
    expect(db.prepare('SELECT payload FROM log ORDER BY offset').pluck().all()).toEqual(['b']);
    expect(db.prepare('SELECT workspace, mpid, offset, at FROM tombstones').all()).toEqual([{ workspace: 1, mpid: '7', offset: 3, at: 5 }]);
    db.close();
  });
});
