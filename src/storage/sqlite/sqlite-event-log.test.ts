import { join } from 'node:path';
import { eventLogContract } from '../contracts/event-log.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteEventLog } from './sqlite-event-log.ts';

eventLogContract(
  'SQLite',
  async (file) => new SqliteEventLog({ file, partitions: 4 }),
  () => join(tempDir('log'), 'log.sqlite'),
);
