import { join } from 'node:path';
import { platformStoreContract } from '../contracts/platform-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqlitePlatformStore } from './sqlite-platform-store.ts';

platformStoreContract('SQLite', (file) => new SqlitePlatformStore(file), () => join(tempDir('state'), 'state.sqlite'));
