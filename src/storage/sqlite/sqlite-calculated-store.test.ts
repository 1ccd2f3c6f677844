import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { calculatedStoreContract } from '../contracts/calculated-store.contract.ts';
import { SqliteCalculatedStore } from './sqlite-calculated-store.ts';

calculatedStoreContract('SQLite', async (file) => new SqliteCalculatedStore(file), () => join(tempDir('calculated'), 'state.sqlite'));
