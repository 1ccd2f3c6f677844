import { join } from 'node:path';
import { qualityStoreContract } from '../contracts/quality-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteQualityStore } from './sqlite-quality-store.ts';

qualityStoreContract('SQLite', async (file) => new SqliteQualityStore(file), () => join(tempDir('quality'), 'state.sqlite'));
