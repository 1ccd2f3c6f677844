import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelope, eventLogContract } from '../contracts/event-log.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteEventLog } from './sqlite-event-log.ts';

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
