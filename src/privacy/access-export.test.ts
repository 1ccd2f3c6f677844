import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../analytics/event-store.ts';
import { inputId, type Mpid, workspaceId } from '../kernel/ids.ts';
import type { LogRecord } from '../model/envelope.ts';
import { DuckDbEventStore } from '../storage/duckdb/duckdb-event-store.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { AccessExport, type AccessExportDeps } from './access-export.ts';

const ws = workspaceId(1);
let store: EventStore;

/** A batch of `events` custom events for `mpid` at log place `offset`. */
function record(mpid: string, offset: number, events: number): LogRecord {
  return {
    workspaceId: ws,
    inputId: inputId(1),
    mpid: mpid as Mpid,
    receivedAtMs: 1_700_000_000_000 + offset,
    channel: 'server_to_server',
    historical: false,
    ip: null,
    dedupKey: null,
    partition: 0,
    offset,
    batch: {
      environment: 'production',
      source_request_id: `r-${offset}`,
      user_identities: { customer_id: `c-${mpid}` },
      user_attributes: {},
      events: Array.from({ length: events }, (_, i) => ({ event_type: 'custom_event' as const, data: { event_name: `e ${offset}.${i}`, custom_event_type: 'other' as const } })),
    },
  };
}

beforeAll(async () => {
  store = await DuckDbEventStore.open(join(tempDir('events'), 'events.duckdb'));
  // User 1: 25 batches of 2 events; user 2: 3 batches; user 3: 1000 batches of 100 events.
  await store.append([...Array.from({ length: 25 }, (_, i) => record('1', i + 1, 2)), ...Array.from({ length: 3 }, (_, i) => record('2', 100 + i, 1))]);
  for (let chunk = 0; chunk < 10; chunk++) await store.append(Array.from({ length: 100 }, (_, i) => record('3', 1000 + chunk * 100 + i, 100)));
}, 120_000);
afterAll(async () => {
  await store.close();
});

const unzip = (path: string) => Object.fromEntries(Object.entries(unzipSync(readFileSync(path))).map(([name, bytes]) => [name, strFromU8(bytes)]));
const linesOf = (text: string | undefined) => (text ?? '').trimEnd().split('\n').filter(Boolean);

function exporter(over: Partial<AccessExportDeps> = {}) {
  const pages: number[] = [];
  const dir = tempDir('results');
  const collector = new AccessExport({
    dir,
    profileOf: async (_ws, mpid) => (mpid === '1' ? { mpid, user_attributes: { plan: 'gold' } } : undefined),
    batchesOf: async (...args) => {
      const page = await store.batchesOf(...args);
      pages.push(page.length);
      return page;
    },
    ...over,
  });
  return { collector, pages, dir };
}

describe('AccessExport (on the DuckDB event store)', () => {
  it('pages through each user\'s batches and splits them into batch files of linesPerFile lines, users in the order asked', async () => {
    const { collector, pages } = exporter({ pageSize: 7, linesPerFile: 10 });
    const result = await collector.collect(ws, ['1' as Mpid, '2' as Mpid, '1' as Mpid], 'split');
    if (result.kind !== 'file') throw new Error('no file');
    const files = unzip(result.path);
    expect(Object.keys(files)).toEqual(['profile.jsonl', 'batches-00001.jsonl', 'batches-00002.jsonl', 'batches-00003.jsonl']);
    expect(linesOf(files['profile.jsonl'])).toEqual(['{"mpid":1,"user_attributes":{"plan":"gold"}}']);
    const counts = ['batches-00001.jsonl', 'batches-00002.jsonl', 'batches-00003.jsonl'].map((f) => linesOf(files[f]).length);
    expect(counts).toEqual([10, 10, 8]);
    const requestIds = Object.values(files).slice(1).flatMap(linesOf).map((l) => (JSON.parse(l) as { source_request_id: string }).source_request_id);
    expect(requestIds).toEqual([...Array.from({ length: 25 }, (_, i) => `r-${i + 1}`), 'r-100', 'r-101', 'r-102']);
    // User 1 (once, though asked twice): 7, 7, 7, 4; user 2: 3.
    expect(pages).toEqual([7, 7, 7, 4, 3]);
  });

  it('exports a user with 100k events a page at a time', async () => {
    const { collector, pages } = exporter({ pageSize: 200 });
    const result = await collector.collect(ws, ['3' as Mpid], 'large');
    if (result.kind !== 'file') throw new Error('no file');
    const files = unzip(result.path);
    expect(Object.keys(files)).toEqual(['batches-00001.jsonl']);
    const batches = linesOf(files['batches-00001.jsonl']).map((l) => JSON.parse(l) as { events: unknown[] });
    expect(batches).toHaveLength(1000);
    expect(batches.reduce((n, b) => n + b.events.length, 0)).toBe(100_000);
    // A full last page is followed by one more read, which finds nothing.
    expect(pages).toEqual([200, 200, 200, 200, 200, 0]);
  }, 60_000);

  it('writes empty.txt for users with neither profile nor batches; none when no user was found', async () => {
    const { collector } = exporter();
    const result = await collector.collect(ws, ['99' as Mpid], 'empty');
    if (result.kind !== 'file') throw new Error('no file');
    expect(Object.keys(unzip(result.path))).toEqual(['empty.txt']);
    expect(await collector.collect(ws, [], 'none')).toEqual({ kind: 'none' });
  });

  it('leaves no file, and the previous result as it was, when collecting fails half way', async () => {
    const { collector, dir } = exporter({ pageSize: 5 });
    const first = await collector.collect(ws, ['2' as Mpid], 'failing');
    if (first.kind !== 'file') throw new Error('no file');
    const before = readFileSync(first.path);
    let calls = 0;
    const failing = new AccessExport({
      dir,
      profileOf: async () => undefined,
      batchesOf: async (...args) => {
        if (++calls === 3) throw new Error('the processor thread went away');
        return store.batchesOf(...args);
      },
      pageSize: 5,
    });
    await expect(failing.collect(ws, ['1' as Mpid], 'failing')).rejects.toThrow('the processor thread went away');
    expect(readdirSync(dir)).toEqual(['failing.zip']);
    expect(readFileSync(first.path)).toEqual(before);
  });
});
