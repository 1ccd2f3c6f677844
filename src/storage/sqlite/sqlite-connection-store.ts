import type { WorkspaceId } from '../../kernel/ids.ts';
import type {
  ConnectionConfig,
  ConnectionRecord,
  ConnectionStore,
  OutputRecord,
  RuleFields,
  RuleRecord,
} from '../../connections/connection-store.ts';
import type { Settings } from '../../connections/output.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

/** The connections store's schema in the state file. */
export const CONNECTION_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'outputs, connections and rules',
    up: `
      CREATE TABLE IF NOT EXISTS cx_outputs (
        id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL,
        name TEXT NOT NULL, kind TEXT NOT NULL, settings TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS cx_outputs_by_ws ON cx_outputs (workspace_id, id);
      CREATE TABLE IF NOT EXISTS cx_connections (
        id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL,
        output_id INTEGER NOT NULL REFERENCES cx_outputs (id), config TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS cx_connections_by_ws ON cx_connections (workspace_id, id);
      CREATE INDEX IF NOT EXISTS cx_connections_by_output ON cx_connections (output_id);
      CREATE TABLE IF NOT EXISTS cx_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id INTEGER NOT NULL, rule TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS cx_rules_by_ws ON cx_rules (workspace_id, id);
    `,
  },
];

interface OutputRow {
  id: number;
  workspace_id: number;
  name: string;
  kind: string;
  settings: string;
  created_at_ms: number;
  updated_at_ms: number;
}
interface ConnectionRow {
  id: number;
  workspace_id: number;
  output_id: number;
  config: string;
  created_at_ms: number;
  updated_at_ms: number;
}
interface RuleRow {
  id: number;
  workspace_id: number;
  rule: string;
  created_at_ms: number;
  updated_at_ms: number;
}

const outputOf = (r: OutputRow): OutputRecord => ({
  id: r.id,
  workspaceId: r.workspace_id as WorkspaceId,
  name: r.name,
  kind: r.kind,
  settings: JSON.parse(r.settings) as Settings,
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
});
const connectionOf = (r: ConnectionRow): ConnectionRecord => ({
  ...(JSON.parse(r.config) as ConnectionConfig),
  outputId: r.output_id,
  id: r.id,
  workspaceId: r.workspace_id as WorkspaceId,
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
});
const ruleOf = (r: RuleRow): RuleRecord => ({
  ...(JSON.parse(r.rule) as RuleFields),
  id: r.id,
  workspaceId: r.workspace_id as WorkspaceId,
  createdAtMs: r.created_at_ms,
  updatedAtMs: r.updated_at_ms,
});

/** Outputs, connections and rules in SQLite (the state file): configuration, a few rows per workspace. */
export class SqliteConnectionStore implements ConnectionStore {
  private readonly db: Sqlite;

  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'connections', CONNECTION_MIGRATIONS, options);
  }

  createOutput(ws: WorkspaceId, output: { name: string; kind: string; settings: Settings }, nowMs: number): OutputRecord {
    const row = this.db
      .prepare('INSERT INTO cx_outputs (workspace_id, name, kind, settings, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING *')
      .get(ws, output.name, output.kind, JSON.stringify(output.settings), nowMs, nowMs) as OutputRow;
    return outputOf(row);
  }

  outputs(ws: WorkspaceId): OutputRecord[] {
    return (this.db.prepare('SELECT * FROM cx_outputs WHERE workspace_id = ? ORDER BY id').all(ws) as OutputRow[]).map(outputOf);
  }

  output(ws: WorkspaceId, id: number): OutputRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cx_outputs WHERE workspace_id = ? AND id = ?').get(ws, id) as OutputRow | undefined;
    return row && outputOf(row);
  }

  updateOutput(ws: WorkspaceId, id: number, output: { name: string; settings: Settings }, nowMs: number): OutputRecord | undefined {
    const row = this.db
      .prepare('UPDATE cx_outputs SET name = ?, settings = ?, updated_at_ms = ? WHERE workspace_id = ? AND id = ? RETURNING *')
      .get(output.name, JSON.stringify(output.settings), nowMs, ws, id) as OutputRow | undefined;
    return row && outputOf(row);
  }

  deleteOutput(ws: WorkspaceId, id: number): boolean {
    return this.db.prepare('DELETE FROM cx_outputs WHERE workspace_id = ? AND id = ?').run(ws, id).changes > 0;
  }

  createConnection(ws: WorkspaceId, config: ConnectionConfig, nowMs: number): ConnectionRecord {
    const row = this.db
      .prepare('INSERT INTO cx_connections (workspace_id, output_id, config, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?) RETURNING *')
      .get(ws, config.outputId, JSON.stringify(config), nowMs, nowMs) as ConnectionRow;
    return connectionOf(row);
  }

  connections(ws: WorkspaceId): ConnectionRecord[] {
    return (this.db.prepare('SELECT * FROM cx_connections WHERE workspace_id = ? ORDER BY id').all(ws) as ConnectionRow[]).map(connectionOf);
  }

  connection(ws: WorkspaceId, id: number): ConnectionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cx_connections WHERE workspace_id = ? AND id = ?').get(ws, id) as ConnectionRow | undefined;
    return row && connectionOf(row);
  }

  updateConnection(ws: WorkspaceId, id: number, config: ConnectionConfig, nowMs: number): ConnectionRecord | undefined {
    const row = this.db
      .prepare('UPDATE cx_connections SET output_id = ?, config = ?, updated_at_ms = ? WHERE workspace_id = ? AND id = ? RETURNING *')
      .get(config.outputId, JSON.stringify(config), nowMs, ws, id) as ConnectionRow | undefined;
    return row && connectionOf(row);
  }

  deleteConnection(ws: WorkspaceId, id: number): boolean {
    return this.db.prepare('DELETE FROM cx_connections WHERE workspace_id = ? AND id = ?').run(ws, id).changes > 0;
  }

  allConnections(): { connection: ConnectionRecord; output: OutputRecord }[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, c.workspace_id, c.output_id, c.config, c.created_at_ms, c.updated_at_ms,
                o.name AS o_name, o.kind AS o_kind, o.settings AS o_settings,
                o.created_at_ms AS o_created, o.updated_at_ms AS o_updated
         FROM cx_connections c JOIN cx_outputs o ON o.id = c.output_id ORDER BY c.id`,
      )
      .all() as (ConnectionRow & { o_name: string; o_kind: string; o_settings: string; o_created: number; o_updated: number })[];
    return rows.map((r) => ({
      connection: connectionOf(r),
      output: outputOf({
        id: r.output_id,
        workspace_id: r.workspace_id,
        name: r.o_name,
        kind: r.o_kind,
        settings: r.o_settings,
        created_at_ms: r.o_created,
        updated_at_ms: r.o_updated,
      }),
    }));
  }

  createRule(ws: WorkspaceId, rule: RuleFields, nowMs: number): RuleRecord {
    const row = this.db
      .prepare('INSERT INTO cx_rules (workspace_id, rule, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?) RETURNING *')
      .get(ws, JSON.stringify(rule), nowMs, nowMs) as RuleRow;
    return ruleOf(row);
  }

  rules(ws: WorkspaceId): RuleRecord[] {
    return (this.db.prepare('SELECT * FROM cx_rules WHERE workspace_id = ? ORDER BY id').all(ws) as RuleRow[]).map(ruleOf);
  }

  rule(ws: WorkspaceId, id: number): RuleRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cx_rules WHERE workspace_id = ? AND id = ?').get(ws, id) as RuleRow | undefined;
    return row && ruleOf(row);
  }

  updateRule(ws: WorkspaceId, id: number, rule: RuleFields, nowMs: number): RuleRecord | undefined {
    const row = this.db
      .prepare('UPDATE cx_rules SET rule = ?, updated_at_ms = ? WHERE workspace_id = ? AND id = ? RETURNING *')
      .get(JSON.stringify(rule), nowMs, ws, id) as RuleRow | undefined;
    return row && ruleOf(row);
  }

  deleteRule(ws: WorkspaceId, id: number): boolean {
    return this.db.prepare('DELETE FROM cx_rules WHERE workspace_id = ? AND id = ?').run(ws, id).changes > 0;
  }

  close(): void {
    this.db.close();
  }
}
