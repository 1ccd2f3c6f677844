import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyPgError, isRetryableState } from './pg-errors.ts';
import { DEFAULT_TEST_POSTGRES_URL, postgresAnswers, testSchema, type TestSchema } from './test-schema.ts';

const URL = process.env.QUANTA_TEST_POSTGRES_URL ?? DEFAULT_TEST_POSTGRES_URL;
const answers = await postgresAnswers(URL);
// No skipping: tested against a real server (.ci/run starts the machine's if it is down).
if (!answers) throw new Error(`these tests need a PostgreSQL server at ${URL}: start it, or set QUANTA_TEST_POSTGRES_URL`);

describe('isRetryableState', () => {
  it.each([
    ['08006', true],
    ['08001', true],
    ['40001', true],
    ['40P01', true],
    ['53300', true],
    ['57P01', true],
    ['57014', true],
    ['28P01', false],
    ['28000', false],
    ['3D000', false],
    ['42501', false],
    ['3F000', false],
    ['22P02', false],
    ['40002', false],
  ])('%s: %s', (state, retry) => expect(isRetryableState(state)).toBe(retry));
});

describe('classifyPgError', () => {
  it('leaves what pg did not throw to its thrower', () => {
    expect(classifyPgError(new TypeError('x is undefined'))).toBeUndefined();
    expect(classifyPgError('text')).toBeUndefined();
  });
});

describe('classifyPgError on a real server\'s errors', () => {
  let schema: TestSchema;
  const clients: pg.Client[] = [];
  const connect = async () => {
    const client = new pg.Client({ connectionString: URL });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };
  const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => classifyPgError(error));

  beforeEach(async () => {
    schema = await testSchema(URL);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.end()));
    await schema.drop();
  });

  it('retries a deadlock', async () => {
    await schema.rows(`CREATE SCHEMA $schema; CREATE TABLE $schema.t (id int PRIMARY KEY, v int); INSERT INTO $schema.t VALUES (1, 0), (2, 0)`);
    const [a, b] = [await connect(), await connect()];
    const t = `"${schema.name}".t`;
    await a.query('BEGIN');
    await b.query('BEGIN');
    await a.query(`UPDATE ${t} SET v = 1 WHERE id = 1`);
    await b.query(`UPDATE ${t} SET v = 1 WHERE id = 2`);
    const failures = await Promise.all([failureOf(a.query(`UPDATE ${t} SET v = 2 WHERE id = 2`)), failureOf(b.query(`UPDATE ${t} SET v = 2 WHERE id = 1`))]);
    expect(failures.filter((f) => f !== undefined)).toEqual([expect.objectContaining({ retry: 'retry', sqlState: '40P01' })]);
  });

  it('retries a statement timeout; a syntax error is permanent', async () => {
    const client = await connect();
    await client.query('SET statement_timeout = 20');
    expect(await failureOf(client.query('SELECT pg_sleep(1)'))).toMatchObject({ retry: 'retry', sqlState: '57014' });
    expect(await failureOf(client.query('SELEC 1'))).toMatchObject({ retry: 'permanent', sqlState: '42601' });
  });

  it('retries a connection the server ends (an administrator\'s shutdown of the backend)', async () => {
    const [victim, admin] = [await connect(), await connect()];
    const { rows } = await victim.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    expect(await failureOf(victim.query('SELECT 1'))).toMatchObject({ retry: 'retry' });
  });
});
