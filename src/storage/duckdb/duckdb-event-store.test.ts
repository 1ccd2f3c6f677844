import { join } from 'node:path';
import { eventStoreContract } from '../contracts/event-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { DuckDbEventStore } from './duckdb-event-store.ts';

eventStoreContract('DuckDB', (file) => DuckDbEventStore.open(file), () => join(tempDir('events'), 'events.duckdb'));
