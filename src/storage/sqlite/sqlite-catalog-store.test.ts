import { join } from 'node:path';
import { catalogStoreContract } from '../contracts/catalog-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqliteCatalogStore } from './sqlite-catalog-store.ts';

catalogStoreContract('SQLite', async (file) => new SqliteCatalogStore(file), () => join(tempDir('catalog'), 'state.sqlite'));
