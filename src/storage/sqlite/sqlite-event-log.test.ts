import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelope, eventLogContract } from '../contracts/event-log.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';
import { partitionOf } from '../../pipeline/event-log.ts';
import { SCHEMA_VERSIONS_SQL } from '../migrations.ts';
import { openSqlite } from './open.ts';
import { LOG_MIGRATIONS, SqliteEventLog } from './sqlite-event-log.ts';

eventLogContract(
  'SQLite',
  async (file) => new SqliteEventLog({ file, partitions: 4 }),
  () => join(tempDir('log'), 'log.sqlite'),
);

describe('SQLite log opened without appends (the processor thread)', () => {
  it('reads what another connection appended and commits offsets, and refuses to append', async () => {
    const file = join(tempDir('log'), 'log.sqlite');
    const writer = new SqliteEventLog({ file, partitions: 2 });
    const reader = new SqliteEventLog({ file, appends: false });
    try {
      const env = envelope('42', 1);
      const [outcome] = await writer.append([env]);
      expect(outcome).toMatchObject({ duplicate: false });
      const { partition, offset } = outcome as { partition: number; offset: number };
      expect(reader.partitionCount).toBe(2);
      const [record] = await reader.read(partition, 0, 10);
      expect(record).toMatchObject({ offset, batch: env.batch });
      await reader.commit('processor', partition, offset);
      expect(await writer.lag('processor')).toBe(0);
      await expect(reader.append([envelope('42', 2)])).rejects.toThrow(/opened without appends/);
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe('SQLite log schema 2', () => {
  it("fills in the workspace and MPID columns of a version 1 log's records, so a tombstone deletes them", async () => {
    const file = join(tempDir('log'), 'log.sqlite');
    const db = openSqlite(file);
    db.exec(SCHEMA_VERSIONS_SQL.create);
    db.exec(LOG_MIGRATIONS[0]!.up as string);
    db.prepare(SCHEMA_VERSIONS_SQL.record).run('log', 1, new Date().toISOString());
    db.prepare("INSERT INTO meta (key, value) VALUES ('partitions', '2')").run();
    const insert = db.prepare('INSERT INTO log (partition, payload) VALUES (?, ?)');
    for (const [mpid, n] of [['51', 1], ['52', 2], ['51', 3]] as const) insert.run(partitionOf(1, mpid, 2), JSON.stringify(envelope(mpid, n)));
    db.close();
    const log = new SqliteEventLog({ file });
    try {
      const check = openSqlite(file);
      expect(check.prepare('SELECT workspace, mpid FROM log ORDER BY offset').all()).toEqual([
        { workspace: 1, mpid: '51' },
        { workspace: 1, mpid: '52' },
        { workspace: 1, mpid: '51' },
      ]);
      check.close();
      expect(await log.tombstone([{ workspaceId: workspaceId(1), mpid: parseMpid('51') as Mpid }])).toBe(2);
    } finally {
      await log.close();
    }
  });
});
