import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WarehouseEvent, WarehouseUser } from '../../connections/kinds/postgres-rows.ts';
import { DEFAULT_TEST_POSTGRES_URL, postgresAnswers, testSchema, type TestSchema } from './test-schema.ts';
import { PostgresWarehouse, type WarehouseOptions } from './warehouse.ts';

const URL = process.env.QUANTA_TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
const answers = await postgresAnswers(URL);
// No skipping: tested against a real server (.ci/run starts the machine's if it is down).
if (!answers) throw new Error(`these tests need a PostgreSQL server at ${URL}: start it, or set QUANTA_TEST_POSTGRES_URL`);

const T = Date.UTC(2026, 0, 1, 10);

function event(eventId: string, customAttributes: Record<string, unknown>, more: Partial<WarehouseEvent> = {}): WarehouseEvent {
  return {
    workspaceId: 7,
    eventId,
    mpid: '-4242',
    inputId: 3,
    batchSeq: 1,
    eventIndex: 0,
    eventType: 'custom_event',
    eventName: 'Tested',
    customEventType: 'other',
    timestampMs: T,
    receivedAtMs: T + 1000,
    environment: 'production',
    sessionUuid: null,
    sessionId: null,
    sourceMessageId: eventId,
    sourceRequestId: null,
    platform: null,
    osVersion: null,
    deviceModel: null,
    appVersion: null,
    sdkVersion: null,
    ip: null,
    productAction: null,
    totalAmount: null,
    customAttributes,
    userAttributes: {},
    userIdentities: {},
    deviceInfo: null,
    applicationInfo: null,
    data: {},
    ...more,
  };
}

const user = (mpid: string, attributes: Record<string, unknown>, deletedAttributes: string[] = []): WarehouseUser => ({
  workspaceId: 7,
  mpid,
  identities: {},
  removedIdentities: [],
  attributes,
  deletedAttributes,
  firstSeenMs: T,
  lastSeenMs: T,
});

describe('PostgresWarehouse', () => {
  let schema: TestSchema;
  const opened: PostgresWarehouse[] = [];
  const open = (options: Partial<WarehouseOptions> = {}) => {
    const w = new PostgresWarehouse({ connectionString: URL, schema: schema.name, timeoutMs: 10_000, ...options });
    opened.push(w);
    return w;
  };

  beforeEach(async () => {
    schema = await testSchema(URL);
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((w) => w.close()));
    await schema.drop();
  });

  it('refuses a schema name it would have to quote', () => {
    expect(() => new PostgresWarehouse({ connectionString: URL, schema: 'a"; DROP TABLE x; --', timeoutMs: 1000 })).toThrow(/invalid schema name/);
  });

  it('migrates once, whoever opens the schema first', async () => {
    await Promise.all([open().ensureSchema(), open().ensureSchema(), open().ensureSchema()]);
    expect(await schema.rows('SELECT version, description FROM $schema.quanta_migrations')).toEqual([{ version: 1, description: 'events, users, attribute columns and type conflicts' }]);
  });

  it('gives at most maxColumns attributes columns; the others stay in the JSON', async () => {
    const w = open({ maxColumns: 2 });
    const result = await w.load({ events: [event('e-1', { a: 1, b: 'x', c: true })], users: [] });
    expect(result).toEqual({ loaded: 1, duplicates: 0, conflicts: 0, newColumns: 2 });
    await w.load({ events: [event('e-2', { d: 4 })], users: [] });
    expect(await schema.rows('SELECT attribute, column_name FROM $schema.attribute_columns ORDER BY 1')).toEqual([
      { attribute: 'a', column_name: 'ea_a' },
      { attribute: 'b', column_name: 'ea_b' },
    ]);
    expect(await schema.rows(`SELECT custom_attributes FROM $schema.events ORDER BY event_id`)).toEqual([{ custom_attributes: { a: 1, b: 'x', c: true } }, { custom_attributes: { d: 4 } }]);
  });

  it('names each attribute\'s column apart, also when two keys look alike', async () => {
    const w = open();
    await w.load({ events: [event('e-1', { 'Page Title': 'Home', page_title: 'home', '$$$': 1, select: 'kw' })], users: [] });
    const columns = await schema.rows<{ attribute: string; column_name: string }>('SELECT attribute, column_name FROM $schema.attribute_columns ORDER BY 1');
    expect(columns.map((c) => c.column_name)).toEqual([expect.stringMatching(/^ea_[0-9a-f]{8}$/), 'ea_page_title', expect.stringMatching(/^ea_page_title_[0-9a-f]{8}$/), 'ea_select']);
    const [row] = await schema.rows(`SELECT ${columns.map((c) => `"${c.column_name}"::text AS "${c.attribute}"`).join(', ')} FROM $schema.events`);
    expect(row).toEqual({ $$$: '1', 'Page Title': 'Home', page_title: 'home', select: 'kw' });
  });

  it('stores text COPY and jsonb would refuse: tabs, newlines, backslashes, NUL, lone surrogates', async () => {
    const w = open();
    const nasty = 'a\tb\nc\\d\re\0f\uD800g "h"';
    await w.load({ events: [event('e\t1', { note: nasty }, { eventName: nasty, data: { [`k${nasty}`]: nasty } })], users: [user('1', { note: nasty }, ['x,"y"', 'back\\slash'])] });
    const stored = 'a\tb\nc\\d\ref\uFFFDg "h"';
    const [row] = await schema.rows(`SELECT event_id, event_name, ea_note, custom_attributes->>'note' AS raw, data FROM $schema.events`);
    expect(row).toEqual({ event_id: 'e\t1', event_name: stored, ea_note: stored, raw: stored, data: { [`k${stored}`]: stored } });
    expect(await schema.rows('SELECT user_attributes FROM $schema.users')).toEqual([{ user_attributes: { note: stored } }]);
  });

  it('loads an event whose time is not one as a row without a time', async () => {
    const w = open();
    await w.load({ events: [event('e-1', {}, { timestampMs: 1e20 })], users: [] });
    expect(await schema.rows('SELECT event_timestamp FROM $schema.events')).toEqual([{ event_timestamp: null }]);
  });

  it('records each kind of misfit of a column apart', async () => {
    const w = open();
    await w.load({ events: [event('e-1', { level: 3 })], users: [] });
    const result = await w.load({ events: [event('e-2', { level: 'high' }), event('e-3', { level: 'low' }), event('e-4', { level: false }), event('e-5', { level: '4.5' })], users: [] });
    expect(result.conflicts).toBe(3);
    const conflicts = await w.conflicts();
    expect(conflicts.map((c) => [c.column, c.valueType, c.conflicts])).toEqual(expect.arrayContaining([['ea_level', 'text', 2], ['ea_level', 'boolean', 1]]));
    expect(conflicts).toHaveLength(2);
    expect(await schema.rows('SELECT event_id, ea_level::float8 AS level FROM $schema.events ORDER BY event_id')).toEqual([
      { event_id: 'e-1', level: 3 },
      { event_id: 'e-2', level: null },
      { event_id: 'e-3', level: null },
      { event_id: 'e-4', level: null },
      { event_id: 'e-5', level: 4.5 },
    ]);
  });

  it('takes loads in parallel, from two writers adding the same columns', async () => {
    const [a, b] = [open({ poolSize: 8 }), open({ poolSize: 8 })];
    const loads = Array.from({ length: 24 }, (_, i) => {
      const attributes = { shared: i, [`own_${i % 6}`]: `v${i}` };
      return (i % 2 === 0 ? a : b).load({ events: [event(`e-${i}`, attributes), event(`f-${i}`, attributes)], users: [user(String(i + 1), { n: i })] });
    });
    const results = await Promise.all(loads);
    expect(results.reduce((n, r) => n + r.loaded, 0)).toBe(48);
    expect(await schema.rows('SELECT count(*)::int AS n FROM $schema.attribute_columns')).toEqual([{ n: 7 }]);
    expect(await schema.rows('SELECT count(*)::int AS n, count(ea_shared)::int AS typed FROM $schema.events')).toEqual([{ n: 48, typed: 48 }]);
    expect(await schema.rows('SELECT count(*)::int AS n FROM $schema.users')).toEqual([{ n: 24 }]);
  });
});
