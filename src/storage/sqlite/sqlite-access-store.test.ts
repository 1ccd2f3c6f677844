import { join } from 'node:path';
import { accessStoreContract } from '../contracts/access-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteAccessStore } from './sqlite-access-store.ts';

accessStoreContract('SQLite', (file) => new SqliteAccessStore(file), () => join(tempDir('state'), 'state.sqlite'));
