import Database from 'better-sqlite3';
import { join } from 'node:path';
import { withEventStore } from './stores.ts';

/**
 * Reads every store file of a data dir as text, to show by SQL what a user's erasure left: the
 * SQLite files table by table (readable while Quanta runs, WAL mode), the event store with Quanta
 * stopped (DuckDB allows one process per file).
 */

/** Every row of every table of a SQLite file, as text, table by table. */
export function dump(file: string): Map<string, string> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[];
    return new Map(tables.map((t) => [t, JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).raw().all())]));
  } finally {
    db.close();
  }
}

/** The tables of `state.sqlite`, `delivery.sqlite` and `log.sqlite` whose text holds `needle`, as `file:table`. */
export function holding(dataDir: string, needle: string): string[] {
  return ['state.sqlite', 'delivery.sqlite', 'log.sqlite'].flatMap((file) =>
    [...dump(join(dataDir, file))].filter(([, text]) => text.includes(needle)).map(([table]) => `${file}:${table}`),
  );
}

/** The tables of `events.duckdb` whose text holds each needle, as `events.duckdb:table:needle` (Quanta must be stopped). */
export async function duckHolding(dataDir: string, needles: readonly string[]): Promise<string[]> {
  return withEventStore(dataDir, async (query) => {
    const tables = (await query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE'")).map((r) => String(r.table_name));
    const found: string[] = [];
    for (const table of tables) {
      const text = JSON.stringify(await query(`SELECT * FROM "${table}"`), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      for (const needle of needles) if (text.includes(needle)) found.push(`events.duckdb:${table}:${needle}`);
    }
    return found;
  });
}
