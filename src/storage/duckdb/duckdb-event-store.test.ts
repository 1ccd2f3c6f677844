import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { audienceHistoryContract } from '../contracts/audience-history.contract.ts';
import { eventStoreContract, logRecord } from '../contracts/event-store.contract.ts';
import { eventStoreBatchesContract } from '../contracts/event-store-batches.contract.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { type Mpid, workspaceId } from '../../kernel/ids.ts';
import { DuckDbEventStore } from './duckdb-event-store.ts';

const newFile = () => join(tempDir('events'), 'events.duckdb');
eventStoreContract('DuckDB', (file) => DuckDbEventStore.open(file), newFile);
eventStoreBatchesContract('DuckDB', (file) => DuckDbEventStore.open(file), newFile);
audienceHistoryContract('DuckDB', (file) => DuckDbEventStore.open(file), newFile);

describe('DuckDbEventStore eraseUsers', () => {
  it("leaves no row of the user's in any table of the file", async () => {
    const file = newFile();
    const store = await DuckDbEventStore.open(file);
    const ws = workspaceId(1);
    await store.append([logRecord(0, 1, {}, '-5'), logRecord(0, 2, {}, '6')]);
    await store.putCalculatedValues(['-5', '6'].map((mpid) => ({ workspaceId: ws, mpid: mpid as Mpid, values: { n: '1' }, asOfMs: 1 })));
    await store.eraseUsers(ws, ['-5' as Mpid]);
    await store.close();
    const instance = await DuckDBInstance.create(file);
    const connection = await instance.connect();
    try {
      for (const table of ['events', 'batches', 'calculated_values']) {
        const r = await connection.runAndReadAll(`SELECT mpid::VARCHAR AS mpid, count(*) AS n FROM ${table} GROUP BY mpid`);
        expect(r.getRowObjectsJS().map((row) => String(row.mpid))).toEqual(['6']);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
