import { join } from 'node:path';
import { audienceHistoryContract } from '../contracts/audience-history.contract.ts';
import { eventStoreContract } from '../contracts/event-store.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { DuckDbEventStore } from './duckdb-event-store.ts';

const newFile = () => join(tempDir('events'), 'events.duckdb');
eventStoreContract('DuckDB', (file) => DuckDbEventStore.open(file), newFile);
audienceHistoryContract('DuckDB', (file) => DuckDbEventStore.open(file), newFile);
