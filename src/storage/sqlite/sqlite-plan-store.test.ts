import { join } from 'node:path';
import { planStoreContract } from '../contracts/plan-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { SqlitePlanStore } from './sqlite-plan-store.ts';

planStoreContract('SQLite', async (file) => new SqlitePlanStore(file), () => join(tempDir('plans'), 'state.sqlite'));
