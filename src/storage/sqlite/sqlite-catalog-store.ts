import { CATALOG_LIMITS, type CatalogStore } from '../../catalog/catalog-store.ts';
import {
  type AttributeType,
  type CatalogAttribute,
  type CatalogCategory,
  type CatalogMatch,
  type CatalogPoint,
  type ExampleValue,
  mergeAttribute,
  mergePoint,
  sameExample,
} from '../../catalog/catalog.ts';
import type { Mpid, WorkspaceId } from '../../kernel/ids.ts';
import type { Environment } from '../../model/event-types.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

interface PointRow {
  point_key: string;
  match: string;
  category: string;
  name: string;
  count: number;
  first_seen_ms: number;
  last_seen_ms: number;
  environments: string;
  description: string | null;
}

interface AttributeRow {
  point_key: string;
  name: string;
  count: number;
  first_seen_ms: number;
  last_seen_ms: number;
  types: string;
  examples: string;
}

const toAttribute = (r: AttributeRow): CatalogAttribute => ({
  name: r.name,
  count: r.count,
  firstSeenMs: r.first_seen_ms,
  lastSeenMs: r.last_seen_ms,
  types: JSON.parse(r.types) as AttributeType[],
  examples: JSON.parse(r.examples) as ExampleValue[],
});

const toPoint = (ws: WorkspaceId, r: PointRow, attributes: CatalogAttribute[]): CatalogPoint => ({
  workspaceId: ws,
  key: r.point_key,
  match: JSON.parse(r.match) as CatalogMatch,
  category: r.category as CatalogCategory,
  name: r.name,
  count: r.count,
  firstSeenMs: r.first_seen_ms,
  lastSeenMs: r.last_seen_ms,
  environments: JSON.parse(r.environments) as Environment[],
  attributes,
  ...(r.description !== null ? { description: r.description } : {}),
});

/** The catalog store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const CATALOG_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'catalog points, attributes and applied offsets',
    up: `
      CREATE TABLE IF NOT EXISTS catalog_points (
        workspace_id INTEGER NOT NULL, point_key TEXT NOT NULL, match TEXT NOT NULL, category TEXT NOT NULL,
        name TEXT NOT NULL, count INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,
        environments TEXT NOT NULL,
        PRIMARY KEY (workspace_id, point_key)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS catalog_attributes (
        workspace_id INTEGER NOT NULL, point_key TEXT NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL,
        first_seen_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL, types TEXT NOT NULL, examples TEXT NOT NULL,
        PRIMARY KEY (workspace_id, point_key, name)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS catalog_offsets (
        partition INTEGER PRIMARY KEY, applied_offset INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'a description per catalog point, as its source documents it',
    up: 'ALTER TABLE catalog_points ADD COLUMN description TEXT',
  },
  {
    version: 3,
    description: "whose each example value is (erasing a user's)",
    up: `
      CREATE TABLE catalog_example_sources (
        workspace_id INTEGER NOT NULL, mpid TEXT NOT NULL, point_key TEXT NOT NULL, name TEXT NOT NULL, example TEXT NOT NULL,
        PRIMARY KEY (workspace_id, mpid, point_key, name, example)
      ) WITHOUT ROWID;
    `,
  },
];

/** What `eraseUsers` reads and deletes of each user, each `(workspace, mpid)`: exported so that the adapter's test can check each is an index search. */
export const ERASE_USER_SQL = {
  sources: 'SELECT point_key, name, example FROM catalog_example_sources WHERE workspace_id = ? AND mpid = ?',
  forget: 'DELETE FROM catalog_example_sources WHERE workspace_id = ? AND mpid = ?',
} as const;

/**
 * The Catalog in SQLite: a row per data point and per attribute, merged in JavaScript by the
 * domain's `mergePoint` rules, and the applied offset per log partition in the same transaction.
 * Commits keep `openSqlite`'s fsync: the offsets must be on disk before the processor commits
 * the log's, or a power cut would lose counts that are never re-read.
 */
export class SqliteCatalogStore implements CatalogStore {
  private readonly db: Sqlite;
  private readonly applyTx;
  private readonly resetTx;
  private readonly eraseTx;
  private readonly selectOffsets;
  private readonly selectPoints;
  private readonly selectAttributes;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'catalog', CATALOG_MIGRATIONS, options);
    const selectPoint = this.db.prepare('SELECT * FROM catalog_points WHERE workspace_id = ? AND point_key = ?');
    const countPoints = this.db.prepare('SELECT count(*) FROM catalog_points WHERE workspace_id = ?').pluck();
    const upsertPoint = this.db.prepare(
      `INSERT INTO catalog_points (workspace_id, point_key, match, category, name, count, first_seen_ms, last_seen_ms, environments, description)
       VALUES (@ws, @key, @match, @category, @name, @count, @first, @last, @environments, @description)
       ON CONFLICT (workspace_id, point_key) DO UPDATE SET
         count = excluded.count, first_seen_ms = excluded.first_seen_ms, last_seen_ms = excluded.last_seen_ms,
         environments = excluded.environments, description = excluded.description`,
    );
    const selectAttribute = this.db.prepare('SELECT * FROM catalog_attributes WHERE workspace_id = ? AND point_key = ? AND name = ?');
    const countAttributes = this.db.prepare('SELECT count(*) FROM catalog_attributes WHERE workspace_id = ? AND point_key = ?').pluck();
    const upsertAttribute = this.db.prepare(
      `INSERT INTO catalog_attributes (workspace_id, point_key, name, count, first_seen_ms, last_seen_ms, types, examples)
       VALUES (@ws, @key, @name, @count, @first, @last, @types, @examples)
       ON CONFLICT (workspace_id, point_key, name) DO UPDATE SET
         count = excluded.count, first_seen_ms = excluded.first_seen_ms, last_seen_ms = excluded.last_seen_ms,
         types = excluded.types, examples = excluded.examples`,
    );
    const keepSource = this.db.prepare(
      'INSERT OR IGNORE INTO catalog_example_sources (workspace_id, mpid, point_key, name, example) VALUES (?, ?, ?, ?, ?)',
    );
    const upsertOffset = this.db.prepare(
      `INSERT INTO catalog_offsets (partition, applied_offset) VALUES (?, ?)
       ON CONFLICT (partition) DO UPDATE SET applied_offset = max(applied_offset, excluded.applied_offset)`,
    );
    this.selectOffsets = this.db.prepare('SELECT partition, applied_offset FROM catalog_offsets');
    this.selectPoints = this.db.prepare('SELECT * FROM catalog_points WHERE workspace_id = ? ORDER BY point_key');
    this.selectAttributes = this.db.prepare('SELECT * FROM catalog_attributes WHERE workspace_id = ? ORDER BY point_key, name');

    const applyOne = (delta: CatalogPoint, pointsOf: Map<WorkspaceId, number>) => {
      const ws = delta.workspaceId;
      const row = selectPoint.get(ws, delta.key) as PointRow | undefined;
      if (!row) {
        const known = pointsOf.get(ws) ?? (countPoints.get(ws) as number);
        if (known >= CATALOG_LIMITS.dataPointsPerWorkspace) return;
        pointsOf.set(ws, known + 1);
      }
      const merged = row ? mergePoint(toPoint(ws, row, []), { ...delta, attributes: [] }) : delta;
      upsertPoint.run({
        ws,
        key: delta.key,
        match: JSON.stringify(merged.match),
        category: merged.category,
        name: merged.name,
        count: merged.count,
        first: merged.firstSeenMs,
        last: merged.lastSeenMs,
        environments: JSON.stringify(merged.environments),
        description: merged.description ?? null,
      });
      let attributes = row ? undefined : 0;
      for (const a of delta.attributes) {
        const existing = selectAttribute.get(ws, delta.key, a.name) as AttributeRow | undefined;
        if (!existing) {
          attributes ??= countAttributes.get(ws, delta.key) as number;
          if (attributes >= CATALOG_LIMITS.attributesPerDataPoint) continue;
          attributes++;
        }
        const known = existing ? toAttribute(existing) : undefined;
        const m = known ? mergeAttribute(known, a) : a;
        // The examples this delta added follow the ones kept (mergeAttribute appends); each is one of the delta's.
        for (const e of m.examples.slice(known ? known.examples.length : 0)) {
          const source = a.exampleSources?.[a.examples.findIndex((x) => sameExample(x, e))];
          if (source !== undefined) keepSource.run(ws, source, delta.key, a.name, JSON.stringify(e));
        }
        upsertAttribute.run({
          ws,
          key: delta.key,
          name: a.name,
          count: m.count,
          first: m.firstSeenMs,
          last: m.lastSeenMs,
          types: JSON.stringify(m.types),
          examples: JSON.stringify(m.examples),
        });
      }
    };
    this.applyTx = this.db.transaction((deltas: readonly CatalogPoint[], offsets: ReadonlyMap<number, number>) => {
      const pointsOf = new Map<WorkspaceId, number>();
      for (const delta of deltas) applyOne(delta, pointsOf);
      for (const [partition, offset] of offsets) upsertOffset.run(partition, offset);
    });
    this.resetTx = this.db.transaction(() => {
      this.db.exec('DELETE FROM catalog_points; DELETE FROM catalog_attributes; DELETE FROM catalog_offsets; DELETE FROM catalog_example_sources;');
    });
    this.eraseTx = eraseUserTransaction(this.db);
  }

  async apply(deltas: readonly CatalogPoint[], offsets: ReadonlyMap<number, number>): Promise<void> {
    // IMMEDIATE: it reads before it writes, and another connection (the app thread) may write between.
    this.applyTx.immediate(deltas, offsets);
  }

  async appliedOffsets(): Promise<Map<number, number>> {
    const rows = this.selectOffsets.all() as { partition: number; applied_offset: number }[];
    return new Map(rows.map((r) => [r.partition, r.applied_offset]));
  }

  async points(ws: WorkspaceId): Promise<CatalogPoint[]> {
    const attributes = new Map<string, CatalogAttribute[]>();
    for (const r of this.selectAttributes.all(ws) as AttributeRow[]) {
      const list = attributes.get(r.point_key);
      if (list) list.push(toAttribute(r));
      else attributes.set(r.point_key, [toAttribute(r)]);
    }
    return (this.selectPoints.all(ws) as PointRow[]).map((r) => toPoint(ws, r, attributes.get(r.point_key) ?? []));
  }

  async eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    // IMMEDIATE, as `apply`: it reads the examples before it writes them.
    return this.eraseTx.immediate(ws, mpids);
  }

  async reset(): Promise<void> {
    this.resetTx();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/**
 * `eraseUsers`' transaction: each attribute the users gave examples of (from
 * `catalog_example_sources`, user by user) rewritten once without them, then each user's source
 * rows deleted.
 */
function eraseUserTransaction(db: Sqlite) {
  const sources = db.prepare(ERASE_USER_SQL.sources);
  const forget = db.prepare(ERASE_USER_SQL.forget);
  const examplesOf = db.prepare('SELECT examples FROM catalog_attributes WHERE workspace_id = ? AND point_key = ? AND name = ?').pluck();
  const setExamples = db.prepare('UPDATE catalog_attributes SET examples = ? WHERE workspace_id = ? AND point_key = ? AND name = ?');
  return db.transaction((ws: WorkspaceId, mpids: readonly Mpid[]): number => {
    const given = new Map<string, { key: string; name: string; examples: ExampleValue[] }>();
    for (const mpid of mpids) {
      for (const r of sources.all(ws, mpid) as { point_key: string; name: string; example: string }[]) {
        const at = JSON.stringify([r.point_key, r.name]);
        const attribute = given.get(at) ?? { key: r.point_key, name: r.name, examples: [] };
        attribute.examples.push(JSON.parse(r.example) as ExampleValue);
        given.set(at, attribute);
      }
    }
    let removed = 0;
    for (const { key, name, examples } of given.values()) {
      const stored = examplesOf.get(ws, key, name) as string | undefined;
      if (stored === undefined) continue;
      const before = JSON.parse(stored) as ExampleValue[];
      const kept = before.filter((e) => !examples.some((x) => sameExample(x, e)));
      if (kept.length === before.length) continue;
      setExamples.run(JSON.stringify(kept), ws, key, name);
      removed += before.length - kept.length;
    }
    for (const mpid of mpids) forget.run(ws, mpid);
    return removed;
  });
}
