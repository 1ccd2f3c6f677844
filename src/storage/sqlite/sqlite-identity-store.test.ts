import { join } from 'node:path';
import { identityStoreContract } from '../contracts/identity-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteIdentityStore } from './sqlite-identity-store.ts';

identityStoreContract('SQLite', async (file) => new SqliteIdentityStore(file), () => join(tempDir('identity'), 'state.sqlite'));
