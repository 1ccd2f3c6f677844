import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { iosBatch, MPID, streamBatch, T } from '../../../test/fixtures/partner-batches.ts';
import type { Mpid } from '../../kernel/ids.ts';
import type { Batch } from '../../model/batch.ts';
import { DEFAULT_TEST_POSTGRES_URL, postgresAnswers, testSchema, type TestSchema } from '../../storage/postgres/test-schema.ts';
import { DeliveryFailed } from '../output.ts';
import { parseSettings } from '../settings.ts';
import { OUTPUT_ENGINES } from '../../storage/output-engines.ts';
import { openPostgres, postgresKind, type PostgresOutput } from './postgres.ts';

const postgres = postgresKind(OUTPUT_ENGINES.warehouse);

const URL = process.env.QUANTA_TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
const answers = await postgresAnswers(URL);
// No skipping: the output is tested against a real server (.ci/run starts the machine's if it is down).
if (!answers) throw new Error(`the postgres output tests need a PostgreSQL server at ${URL}: start it, or set QUANTA_TEST_POSTGRES_URL`);

describe('postgres settings', () => {
  it('takes a connection URL and a schema, quanta by default', () => {
    const parsed = parseSettings(postgres, { connection_string: 'postgres://loader:pw@db.internal:5432/warehouse' });
    expect(parsed).toEqual({ ok: true, value: { connection_string: 'postgres://loader:pw@db.internal:5432/warehouse', schema: 'quanta' } });
  });

  it('names every setting it cannot use', () => {
    const parsed = parseSettings(postgres, { connection_string: 'mysql://db/x', schema: 'Bad-Name' });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.problems).toEqual([expect.stringMatching(/^settings\.connection_string: must be a postgres:\/\//), expect.stringMatching(/^settings\.schema: "Bad-Name" is not a schema name/)]);
    expect(parseSettings(postgres, {}).ok).toBe(false);
  });
});

function batchWith(events: Batch['events'], userAttributes: Record<string, unknown> = {}): Batch {
  return { environment: 'production', user_identities: { customer_id: 'c-1' }, user_attributes: userAttributes, events };
}

const custom = (id: string, attributes: Record<string, unknown>) => ({ event_type: 'custom_event' as const, data: { event_name: 'Level Up', custom_event_type: 'other', source_message_id: id, timestamp_unixtime_ms: T, custom_attributes: attributes } });

describe('the postgres output against a real server', () => {
  let schema: TestSchema;
  let output: PostgresOutput;

  beforeEach(async () => {
    schema = await testSchema(URL);
    output = openPostgres({ connection_string: URL, schema: schema.name }, { timeoutMs: 10_000 }, OUTPUT_ENGINES.warehouse);
  });
  afterEach(async () => {
    await output.close();
    await schema.drop();
  });

  it('creates its schema and tables at the first delivery', async () => {
    await output.deliver([streamBatch(iosBatch())], 'k-1');
    const tables = await schema.rows<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema.name]);
    expect(tables.map((t) => t.table_name)).toEqual(['attribute_columns', 'events', 'quanta_migrations', 'type_conflicts', 'users']);
  });

  it('loads one row per event, with typed columns and the rest as JSON', async () => {
    await output.deliver([streamBatch(iosBatch())], 'k-1');
    const rows = await schema.rows(`
      SELECT event_id, mpid::text, event_type, event_name, custom_event_type, event_timestamp, environment, session_uuid, platform,
             os_version, app_version, product_action, total_amount::float8 AS total_amount, custom_attributes, ea_read_pct, ea_step
      FROM $schema.events ORDER BY event_index`);
    expect(rows.map((r) => [r.event_id, r.event_type, r.event_name])).toEqual([
      ['S-1', 'session_start', null],
      ['msg-2', 'custom_event', 'Article Shared'],
      [`${MPID}-41-2`, 'screen_view', 'Checkout'],
      ['msg-4', 'commerce_event', 'purchase'],
      ['msg-5', 'session_end', null],
    ]);
    const [, shared, screen, purchase] = rows;
    expect(shared).toMatchObject({ mpid: MPID, custom_event_type: 'social', environment: 'production', session_uuid: 'S-1', platform: 'iOS', os_version: '17.4', app_version: '3.2.0' });
    expect(shared!.event_timestamp).toEqual(new Date(T + 1000));
    expect(shared!.custom_attributes).toEqual({ article_id: 'a-17', channel: 'email', read_pct: '80' });
    // Strings decide text columns: "80" stays text, as mParticle's attributes often are.
    expect(shared!.ea_read_pct).toBe('80');
    expect(screen!.ea_step).toBe('1');
    expect(purchase).toMatchObject({ product_action: 'purchase', total_amount: 43.5 });
    const [products] = await schema.rows<{ products: unknown[] }>(`SELECT data->'product_action'->'products' AS products FROM $schema.events WHERE event_id = 'msg-4'`);
    expect(products!.products).toHaveLength(2);
    const columns = await schema.rows('SELECT attribute, column_name, column_type FROM $schema.attribute_columns ORDER BY attribute');
    expect(columns).toContainEqual({ attribute: 'read_pct', column_name: 'ea_read_pct', column_type: 'text' });
    expect(output.totals).toMatchObject({ loaded: 5, duplicates: 0, conflicts: 0 });
  });

  it('types columns by their first value: numbers, booleans, times', async () => {
    await output.deliver([streamBatch(batchWith([custom('e-1', { score: 12.5, premium: true, 'Signed Up': '2026-01-01T09:30:00+01:00', $Amount: 3 })]))], 'k');
    const [row] = await schema.rows(`SELECT ea_score::float8 AS score, ea_premium, ea_signed_up, ea_amount::int AS amount FROM $schema.events`);
    expect(row).toEqual({ score: 12.5, ea_premium: true, ea_signed_up: new Date('2026-01-01T08:30:00Z'), amount: 3 });
    const types = await schema.rows<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'events' AND column_name LIKE 'ea\\_%' ORDER BY 1`,
      [schema.name],
    );
    expect(types).toEqual([
      { column_name: 'ea_amount', data_type: 'numeric' },
      { column_name: 'ea_premium', data_type: 'boolean' },
      { column_name: 'ea_score', data_type: 'numeric' },
      { column_name: 'ea_signed_up', data_type: 'timestamp with time zone' },
    ]);
  });

  it('loads each event once when the same batches are delivered again', async () => {
    const batches = [streamBatch(iosBatch(), 41), streamBatch(batchWith([custom('x-1', { level: 1 }), custom('x-2', { level: 2 })]), 42, '42' as Mpid)];
    await output.deliver(batches, 'k-1');
    await output.deliver(batches, 'k-1');
    const [count] = await schema.rows<{ n: number }>('SELECT count(*)::int AS n FROM $schema.events');
    expect(count!.n).toBe(7);
    expect(output.totals).toMatchObject({ loaded: 7, duplicates: 7 });
    const users = await schema.rows('SELECT mpid::text FROM $schema.users ORDER BY mpid');
    expect(users).toEqual([{ mpid: '42' }, { mpid: MPID }]);
  });

  it('loads a value that does not fit its column, and reports the conflict', async () => {
    await output.deliver([streamBatch(batchWith([custom('e-1', { level: 3 })]), 1)], 'k-1');
    await output.deliver([streamBatch(batchWith([custom('e-2', { level: 'high' })]), 2)], 'k-2');
    await output.deliver([streamBatch(batchWith([custom('e-2', { level: 'high' })]), 2)], 'k-2');
    const rows = await schema.rows(`SELECT event_id, ea_level::float8 AS level, custom_attributes->>'level' AS raw FROM $schema.events ORDER BY event_id`);
    expect(rows).toEqual([
      { event_id: 'e-1', level: 3, raw: '3' },
      { event_id: 'e-2', level: null, raw: 'high' },
    ]);
    const conflicts = await output.typeConflicts();
    // Counted once: the redelivery inserted nothing.
    expect(conflicts).toEqual([expect.objectContaining({ column: 'ea_level', attribute: 'level', columnType: 'numeric', valueType: 'text', sample: 'high', conflicts: 1 })]);
    expect(output.totals.conflicts).toBe(1);
  });

  it('upserts each user with the latest identities and attributes', async () => {
    const first = streamBatch({ ...batchWith([], { plan: 'gold', visits: 1, old: 'x' }), user_identities: { customer_id: 'c-1', email: 'a@example.com' } }, 1);
    const second = streamBatch({ ...batchWith([], { plan: 'platinum' }), user_identities: { email: 'b@example.com', other: null }, deleted_user_attributes: ['old'] }, 2);
    await output.deliver([first], 'k-1');
    await output.deliver([{ ...second, receivedAtMs: first.receivedAtMs + 1000 }], 'k-2');
    // A late redelivery of the first batch does not take the user back.
    await output.deliver([first], 'k-1');
    const users = await schema.rows(`SELECT mpid::text, customer_id, email, user_identities, user_attributes, first_seen_at, last_seen_at FROM $schema.users`);
    expect(users).toEqual([
      {
        mpid: MPID,
        customer_id: 'c-1',
        email: 'b@example.com',
        user_identities: { customer_id: 'c-1', email: 'b@example.com' },
        user_attributes: { plan: 'platinum', visits: 1 },
        first_seen_at: new Date(first.receivedAtMs),
        last_seen_at: new Date(first.receivedAtMs + 1000),
      },
    ]);
  });

  it('classifies an unknown database as permanent and a refused port as retry', async () => {
    const url = new globalThis.URL(URL);
    url.pathname = '/no_such_database_quanta';
    const wrongDb = openPostgres({ connection_string: url.toString(), schema: 'quanta' }, { timeoutMs: 5000 }, OUTPUT_ENGINES.warehouse);
    const refused = openPostgres({ connection_string: 'postgres://postgres@127.0.0.1:1/test', schema: 'quanta' }, { timeoutMs: 5000 }, OUTPUT_ENGINES.warehouse);
    try {
      const batch = [streamBatch(iosBatch())];
      const wrong = await wrongDb.deliver(batch, 'k').catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(DeliveryFailed);
      expect(wrong).toMatchObject({ retry: 'permanent', message: expect.stringMatching(/does not exist \(SQLSTATE 3D000\)/) });
      const down = await refused.deliver(batch, 'k').catch((e: unknown) => e);
      expect(down).toBeInstanceOf(DeliveryFailed);
      expect(down).toMatchObject({ retry: 'retry', message: expect.stringMatching(/ECONNREFUSED/) });
    } finally {
      await wrongDb.close();
      await refused.close();
    }
  });

  it('classifies a server that never answers as retry, after the timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const output = openPostgres({ connection_string: `postgres://postgres@127.0.0.1:${port}/test`, schema: 'quanta' }, { timeoutMs: 200 }, OUTPUT_ENGINES.warehouse);
    try {
      const failure = await output.deliver([streamBatch(iosBatch())], 'k').catch((e: unknown) => e);
      expect(failure).toMatchObject({ retry: 'retry', message: expect.stringMatching(/timeout/) });
    } finally {
      await output.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('classifies a login that may not create the schema as permanent', async () => {
    const [me] = await schema.rows<{ super: boolean }>('SELECT rolsuper AS super FROM pg_roles WHERE rolname = current_user');
    if (!me?.super) return; // creating a role needs a superuser
    const role = `${schema.name}_loader`;
    await schema.rows(`CREATE ROLE ${role} LOGIN`);
    const url = new globalThis.URL(URL);
    url.username = role;
    const denied = openPostgres({ connection_string: url.toString(), schema: schema.name }, { timeoutMs: 5000 }, OUTPUT_ENGINES.warehouse);
    try {
      const failure = await denied.deliver([streamBatch(iosBatch())], 'k').catch((e: unknown) => e);
      expect(failure).toMatchObject({ retry: 'permanent', message: expect.stringMatching(/permission denied .*\(SQLSTATE 42501\)/) });
    } finally {
      await denied.close();
      await schema.rows(`DROP ROLE ${role}`);
    }
  });
});
