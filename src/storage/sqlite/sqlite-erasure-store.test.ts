import { join } from 'node:path';
import { erasureStoreContract } from '../contracts/erasure-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteErasureStore } from './sqlite-erasure-store.ts';

erasureStoreContract('SQLite', async (file) => new SqliteErasureStore(file), () => join(tempDir('erasure'), 'state.sqlite'));
