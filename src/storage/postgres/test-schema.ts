import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** For tests: the server the PostgreSQL tests use when `QUANTA_TEST_POSTGRES_URL` names none (this machine's, trust auth). */
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** For tests: whether the server answers, within 2 s. */
export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** For tests: a schema of its own (a random name, not created: the warehouse creates it), read by SQL, dropped after. */
export interface TestSchema {
  readonly name: string;
  rows<T extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

export async function testSchema(url: string): Promise<TestSchema> {
  const name = `quanta_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return {
    name,
    rows: async <T extends object>(sql: string, params?: unknown[]) => (await client.query<T>(sql.replaceAll('$schema', `"${name}"`), params)).rows,
    async drop() {
      await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await client.end();
    },
  };
}
