import { join } from 'node:path';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { deliveryStoreContract } from '../contracts/delivery-store.contract.ts';
import { SqliteDeliveryStore } from './sqlite-delivery-store.ts';

deliveryStoreContract('SQLite', async (file) => new SqliteDeliveryStore(file), () => join(tempDir('delivery'), 'delivery.sqlite'));
