import { join } from 'node:path';
import { profileStoreContract } from '../contracts/profile-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteProfileStore } from './sqlite-profile-store.ts';

profileStoreContract('SQLite', async (file) => new SqliteProfileStore(file), () => join(tempDir('profiles'), 'state.sqlite'));
