import pg from 'pg';
import type { LoadResult, TypeConflict, Warehouse, WarehouseEvent, WarehouseLoad, WarehouseUser } from '../../connections/kinds/postgres-rows.ts';
import { type ColumnType, fitValue, inferColumnType, valueTypeOf } from './attribute-types.ts';
import { type CopyValue, copyIn, copyLine } from './copy-text.ts';
import { attributeColumnName, EVENT_COLUMNS, IDENTIFIER, quoted, USER_COLUMNS, WAREHOUSE_MIGRATIONS } from './warehouse-schema.ts';

export interface WarehouseOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly connectionString: string;
  /** Created if absent; checked against {@link IDENTIFIER}. */
  readonly schema: string;
  /** How long connecting, and each statement, may take. */
  readonly timeoutMs: number;
  /** How many attributes get typed columns, at most (200). */
  readonly maxColumns?: number;
  /** Connections the pool opens, at most (4). */
  readonly poolSize?: number;
}

/** An event attribute's typed column in `events`, as `attribute_columns` records it. */
interface AttributeColumn {
  readonly attribute: string;
  readonly column: string;
  readonly type: ColumnType;
}

/** One value that did not fit its column, as the staging row's `quanta_conflicts` carries it. */
interface Misfit {
  column: string;
  attribute: string;
  column_type: ColumnType;
  value_type: string;
  sample: string;
}

const SAMPLE_CHARS = 200;
const sampleOf = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value)).slice(0, SAMPLE_CHARS);
const NOTHING: LoadResult = { loaded: 0, duplicates: 0, conflicts: 0, newColumns: 0 };

/**
 * A PostgreSQL schema that `postgres` outputs load (its design: `connections/kinds/postgres.ts`).
 * The pool opens at the first call. DDL (the migrations, new attribute columns) runs in short
 * transactions of its own under an advisory lock on the schema's name, so writers in other
 * processes take turns; loads never hold that lock, and an `ALTER TABLE` only waits for the
 * loads in flight to commit.
 *
 * @example
 * const warehouse = new PostgresWarehouse({ connectionString: 'postgres://127.0.0.1/test', schema: 'quanta', timeoutMs: 10_000 });
 * await warehouse.load(warehouseLoadOf(batches)); // { loaded: 12, duplicates: 0, conflicts: 1, newColumns: 3 }
 * await warehouse.close();
 */
export class PostgresWarehouse implements Warehouse {
  private pool: pg.Pool | undefined;
  private ready: Promise<void> | undefined;
  /** Every attribute with a column, by attribute: columns are only ever added, so this cache is never wrong, only short. */
  private readonly columns = new Map<string, AttributeColumn>();
  /** This process's column additions, one after another. */
  private evolving: Promise<unknown> = Promise.resolve();
  private readonly s: string;
  private readonly maxColumns: number;

  constructor(private readonly options: WarehouseOptions) {
    if (!IDENTIFIER.test(options.schema)) throw new TypeError(`invalid schema name "${options.schema}"`);
    this.s = quoted(options.schema);
    this.maxColumns = options.maxColumns ?? 200;
  }

  private get db(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({
        connectionString: this.options.connectionString,
        max: this.options.poolSize ?? 4,
        connectionTimeoutMillis: this.options.timeoutMs,
        statement_timeout: this.options.timeoutMs,
        idleTimeoutMillis: 30_000,
        application_name: 'quanta-warehouse',
      });
      // An idle connection that breaks (a server restart) is dropped; the next load meets the cause.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  /** Creates the schema and its tables if absent, runs the migrations it lacks, and reads its attribute columns. */
  ensureSchema(): Promise<void> {
    this.ready ??= this.migrate().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async load(rows: WarehouseLoad): Promise<LoadResult> {
    if (rows.events.length === 0 && rows.users.length === 0) return NOTHING;
    try {
      await this.ensureSchema();
      const newColumns = await this.evolve(rows.events);
      const columns = [...this.columns.values()];
      return await this.transaction(async (client) => {
        const events = rows.events.length > 0 ? await this.loadEvents(client, rows.events, columns) : { loaded: 0, conflicts: 0 };
        if (rows.users.length > 0) await this.loadUsers(client, rows.users);
        return { ...events, duplicates: rows.events.length - events.loaded, newColumns };
      });
    } catch (error) {
      // The next load reads the schema again, in case someone changed it under us.
      this.ready = undefined;
      throw error;
    }
  }

  async conflicts(): Promise<TypeConflict[]> {
    await this.ensureSchema();
    const { rows } = await this.db.query<{ column_name: string; attribute: string; column_type: string; value_type: string; sample: string; conflicts: string; first_seen_at: Date; last_seen_at: Date }>(
      `SELECT column_name, attribute, column_type, value_type, sample, conflicts, first_seen_at, last_seen_at FROM ${this.s}.type_conflicts
       ORDER BY last_seen_at DESC, column_name, value_type`,
    );
    return rows.map((r) => ({
      column: r.column_name,
      attribute: r.attribute,
      columnType: r.column_type,
      valueType: r.value_type,
      sample: r.sample,
      conflicts: Number(r.conflicts),
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
    }));
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.ready = undefined;
    await pool?.end();
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.db.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
      client.release(rolledBack ? undefined : true);
      throw error;
    }
  }

  /** Takes the schema's DDL lock until the transaction ends. */
  private lockSchema(client: pg.PoolClient) {
    return client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`quanta-warehouse:${this.options.schema}`]);
  }

  private async migrate(): Promise<void> {
    const { s } = this;
    await this.transaction(async (client) => {
      await this.lockSchema(client);
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.options.schema]);
      // Only when absent: a loader that may use the schema but not create one still works.
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${s}.quanta_migrations (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = await client.query<{ version: number | null }>(`SELECT max(version) AS version FROM ${s}.quanta_migrations`);
      const current = done.rows[0]?.version ?? 0;
      for (const m of WAREHOUSE_MIGRATIONS) {
        if (m.version <= current) continue;
        await client.query(m.up(s));
        await client.query(`INSERT INTO ${s}.quanta_migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
      }
      await this.readColumns(client);
    });
  }

  private async readColumns(client: pg.PoolClient): Promise<void> {
    const { rows } = await client.query<{ attribute: string; column_name: string; column_type: ColumnType }>(`SELECT attribute, column_name, column_type FROM ${this.s}.attribute_columns`);
    for (const r of rows) this.columns.set(r.attribute, { attribute: r.attribute, column: r.column_name, type: r.column_type });
  }

  /** Attributes without a column that these events decide a type for (the first value that decides one), in the order met. */
  private undecided(events: readonly WarehouseEvent[]): Map<string, ColumnType> {
    const wanted = new Map<string, ColumnType>();
    if (this.columns.size >= this.maxColumns) return wanted;
    for (const event of events) {
      for (const [attribute, value] of Object.entries(event.customAttributes)) {
        if (this.columns.has(attribute) || wanted.has(attribute)) continue;
        const type = inferColumnType(value);
        if (type !== undefined) wanted.set(attribute, type);
      }
    }
    return wanted;
  }

  /** Adds the columns these events need (within {@link WarehouseOptions.maxColumns}); answers how many. */
  private evolve(events: readonly WarehouseEvent[]): Promise<number> {
    const wanted = this.undecided(events);
    if (wanted.size === 0) return Promise.resolve(0);
    const run = this.evolving.then(() => this.addColumns(wanted));
    this.evolving = run.catch(() => undefined);
    return run;
  }

  private async addColumns(wanted: ReadonlyMap<string, ColumnType>): Promise<number> {
    const { s } = this;
    const added: AttributeColumn[] = [];
    await this.transaction(async (client) => {
      await this.lockSchema(client);
      await this.readColumns(client);
      const existing = await client.query<{ name: string }>(
        `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
        [`${s}.events`],
      );
      const taken = new Set(existing.rows.map((r) => r.name));
      for (const [attribute, type] of wanted) {
        if (this.columns.has(attribute)) continue;
        if (this.columns.size + added.length >= this.maxColumns) break;
        const column = attributeColumnName(attribute, taken);
        await client.query(`ALTER TABLE ${s}.events ADD COLUMN ${quoted(column)} ${type}`);
        await client.query(`INSERT INTO ${s}.attribute_columns (attribute, column_name, column_type) VALUES ($1, $2, $3)`, [attribute, column, type]);
        taken.add(column);
        added.push({ attribute, column, type });
      }
    });
    // Only once committed: a load must never name a column that was rolled back.
    for (const c of added) this.columns.set(c.attribute, c);
    return added.length;
  }

  /**
   * COPYs the events into a staging table, inserts those not there yet, and records the type
   * conflicts of the inserted ones, in one statement: a redelivered event counts no conflict again.
   */
  private async loadEvents(client: pg.PoolClient, events: readonly WarehouseEvent[], columns: readonly AttributeColumn[]): Promise<{ loaded: number; conflicts: number }> {
    const { s } = this;
    await client.query(`CREATE TEMP TABLE quanta_events (LIKE ${s}.events INCLUDING DEFAULTS, quanta_conflicts jsonb) ON COMMIT DROP`);
    const names = [...EVENT_COLUMNS.map((c) => c.name), ...columns.map((c) => quoted(c.column))];
    await copyIn(client, `quanta_events (${names.join(', ')}, quanta_conflicts)`, eventLines(events, columns));
    const list = names.join(', ');
    const { rows } = await client.query<{ loaded: number; conflicts: number }>(`
      WITH inserted AS (
        INSERT INTO ${s}.events (${list}) SELECT ${list} FROM quanta_events
        ON CONFLICT (workspace_id, event_id) DO NOTHING
        RETURNING workspace_id, event_id
      ), found AS (
        SELECT c->>'column' AS column_name, c->>'attribute' AS attribute, c->>'column_type' AS column_type,
               c->>'value_type' AS value_type, c->>'sample' AS sample
        FROM quanta_events q JOIN inserted USING (workspace_id, event_id)
        CROSS JOIN LATERAL jsonb_array_elements(q.quanta_conflicts) c
      ), recorded AS (
        INSERT INTO ${s}.type_conflicts AS t (column_name, attribute, column_type, value_type, sample, conflicts, first_seen_at, last_seen_at)
        SELECT column_name, min(attribute), min(column_type), value_type, max(sample), count(*), now(), now()
        FROM found GROUP BY column_name, value_type ORDER BY column_name, value_type
        ON CONFLICT (column_name, value_type) DO UPDATE
        SET conflicts = t.conflicts + excluded.conflicts, sample = excluded.sample, last_seen_at = excluded.last_seen_at
      )
      SELECT (SELECT count(*) FROM inserted)::int AS loaded, (SELECT count(*) FROM found)::int AS conflicts`);
    return rows[0] ?? { loaded: 0, conflicts: 0 };
  }

  /**
   * Upserts the users: identities and attributes set over the stored ones, those removed taken
   * out; a state older than the stored one (a late redelivery) changes nothing.
   */
  private async loadUsers(client: pg.PoolClient, users: readonly WarehouseUser[]): Promise<void> {
    const { s } = this;
    await client.query(`CREATE TEMP TABLE quanta_users (${USER_COLUMNS.map((c) => `${c.name} ${c.type}`).join(', ')}) ON COMMIT DROP`);
    await copyIn(client, `quanta_users (${USER_COLUMNS.map((c) => c.name).join(', ')})`, users.map((u) => copyLine(USER_COLUMNS.map((c) => c.of(u)))));
    await client.query(`
      INSERT INTO ${s}.users AS u (workspace_id, mpid, user_identities, user_attributes, first_seen_at, last_seen_at)
      SELECT workspace_id, mpid, identities, attributes, first_seen_at, last_seen_at FROM quanta_users ORDER BY workspace_id, mpid
      ON CONFLICT (workspace_id, mpid) DO UPDATE
      SET (user_identities, user_attributes) = (
            SELECT (u.user_identities - q.removed_identities) || q.identities, (u.user_attributes - q.deleted_attributes) || q.attributes
            FROM quanta_users q WHERE q.workspace_id = excluded.workspace_id AND q.mpid = excluded.mpid),
          first_seen_at = least(u.first_seen_at, excluded.first_seen_at),
          last_seen_at = excluded.last_seen_at,
          updated_at = now()
      WHERE u.last_seen_at <= excluded.last_seen_at`);
  }
}

/** The staging rows: the fixed columns, each attribute column's value when it fits (else null, and a misfit noted). */
function* eventLines(events: readonly WarehouseEvent[], columns: readonly AttributeColumn[]): Generator<string> {
  const slot = new Map(columns.map((c, i) => [c.attribute, i]));
  for (const event of events) {
    const typed: CopyValue[] = new Array<CopyValue>(columns.length).fill(null);
    let misfits: Misfit[] | null = null;
    for (const [attribute, value] of Object.entries(event.customAttributes)) {
      const i = slot.get(attribute);
      if (i === undefined) continue;
      const column = columns[i]!;
      const fitted = fitValue(column.type, value);
      if (fitted.fits) typed[i] = fitted.text;
      else (misfits ??= []).push({ column: column.column, attribute, column_type: column.type, value_type: valueTypeOf(value) ?? 'null', sample: sampleOf(value) });
    }
    yield copyLine([...EVENT_COLUMNS.map((c) => c.of(event)), ...typed, misfits]);
  }
}
