import { join } from 'node:path';
import { eventLogContract } from '../contracts/event-log.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteEventLog } from './sqlite-event-log.ts';

eventLogContract(
  'SQLite',
  async (file) => new SqliteEventLog({ file, partitions: 4 }),
  () => join(tempDir('log'), 'log.sqlite'),
);

// The tail cache must not change what is read: a log with no cache reads the same records.
eventLogContract(
  'SQLite without a tail cache',
  async (file) => new SqliteEventLog({ file, partitions: 3, tailCacheSize: 0 }),
  () => join(tempDir('log'), 'log.sqlite'),
);
