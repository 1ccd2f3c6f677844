import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { consentStoreContract } from '../contracts/consent-store.contract.ts';
import { SqliteConsentStore } from './sqlite-consent-store.ts';

consentStoreContract('SQLite', async (file) => new SqliteConsentStore(file), () => join(tempDir('consent'), 'state.sqlite'));
