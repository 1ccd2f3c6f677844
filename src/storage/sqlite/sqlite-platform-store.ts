import { inputId, workspaceId, type WorkspaceId } from '../../kernel/ids.ts';
import type { Account, App, AppDataPoint, AppPlatformConfig, FeedConfig, Input, PlatformStore, Tenant, Workspace } from '../../platform/platform-store.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

interface InputRow {
  id: number;
  workspace_id: number;
  name: string;
  api_key: string;
  api_secret: string;
  rate_limit: number;
  allow_key_only: number;
  feed: string | null;
  app_platform: string | null;
}

interface AccountRow {
  id: number;
  org_id: number;
  name: string;
  created_at: number;
  modified_at: number;
}

interface TenantRow {
  workspace_id: number;
  account_id: number;
  org_id: number;
  name: string;
  created_at: number;
  modified_at: number;
}

interface AppRow {
  id: number;
  workspace_id: number;
  name: string;
  data_points: string;
  created_at: number;
  modified_at: number;
}

const toAccount = (r: AccountRow): Account => ({ id: r.id, orgId: r.org_id, name: r.name, createdAtMs: r.created_at, modifiedAtMs: r.modified_at });
const toWorkspace = (r: TenantRow): Workspace => ({
  workspaceId: workspaceId(r.workspace_id),
  accountId: r.account_id,
  orgId: r.org_id,
  name: r.name,
  createdAtMs: r.created_at,
  modifiedAtMs: r.modified_at,
});
const toApp = (r: AppRow): App => ({
  id: r.id,
  workspaceId: workspaceId(r.workspace_id),
  name: r.name,
  dataPoints: JSON.parse(r.data_points) as AppDataPoint[],
  createdAtMs: r.created_at,
  modifiedAtMs: r.modified_at,
});
/** The current time in ms, in SQL: what a migration stamps rows made before names and times were kept. */
const NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

const toInput = (r: InputRow): Input => ({
  id: inputId(r.id),
  workspaceId: workspaceId(r.workspace_id),
  name: r.name,
  apiKey: r.api_key,
  apiSecret: r.api_secret,
  rateLimitPerSecond: r.rate_limit,
  allowKeyOnly: r.allow_key_only === 1,
  ...(r.feed === null ? {} : { feed: JSON.parse(r.feed) as FeedConfig }),
  ...(r.app_platform === null ? {} : { appPlatform: JSON.parse(r.app_platform) as AppPlatformConfig }),
});

/** The platform store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const PLATFORM_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'tenants, inputs, API clients, OAuth tokens and settings',
    up: `
      CREATE TABLE IF NOT EXISTS tenants (
        workspace_id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, org_id INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS inputs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id INTEGER NOT NULL REFERENCES tenants (workspace_id),
        name TEXT NOT NULL,
        api_key TEXT NOT NULL UNIQUE,
        api_secret TEXT NOT NULL,
        rate_limit INTEGER NOT NULL,
        allow_key_only INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS api_clients (
        client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, org_id INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS oauth_tokens (
        token_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, expires_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    `,
  },
  {
    version: 2,
    description: 'partner feed inputs: their module, act-as platform, debug flag and settings',
    up: 'ALTER TABLE inputs ADD COLUMN feed TEXT',
  },
  {
    version: 3,
    description: 'accounts and workspaces with names and times, apps, app platform inputs',
    // Accounts and workspaces made before this get default names, stamped with the time of the upgrade.
    up: `
      CREATE TABLE IF NOT EXISTS accounts (
        id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL
      );
      INSERT OR IGNORE INTO accounts (id, org_id, name, created_at, modified_at)
        SELECT account_id, min(org_id), 'Account ' || account_id, ${NOW_MS}, ${NOW_MS} FROM tenants GROUP BY account_id;
      ALTER TABLE tenants ADD COLUMN name TEXT NOT NULL DEFAULT '';
      ALTER TABLE tenants ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tenants ADD COLUMN modified_at INTEGER NOT NULL DEFAULT 0;
      UPDATE tenants SET name = 'Workspace ' || workspace_id, created_at = ${NOW_MS}, modified_at = ${NOW_MS};
      CREATE INDEX IF NOT EXISTS tenants_account ON tenants (account_id);
      CREATE TABLE IF NOT EXISTS apps (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id INTEGER NOT NULL REFERENCES tenants (workspace_id),
        name TEXT NOT NULL,
        data_points TEXT NOT NULL DEFAULT '[]',
        created_at INTEGER NOT NULL,
        modified_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS apps_workspace ON apps (workspace_id);
      ALTER TABLE inputs ADD COLUMN app_platform TEXT;
    `,
  },
  {
    version: 4,
    description: 'API clients and tokens move to the access store (which makes the bootstrap client again from its settings at start)',
    up: 'DROP TABLE IF EXISTS api_clients; DROP TABLE IF EXISTS oauth_tokens;',
  },
];

/** The platform part of the state store, in SQLite. */
export class SqlitePlatformStore implements PlatformStore {
  private readonly db: Sqlite;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'platform', PLATFORM_MIGRATIONS, options);
  }

  saveTenant(t: Tenant): void {
    const now = Date.now();
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR IGNORE INTO accounts (id, org_id, name, created_at, modified_at) VALUES (?, ?, ?, ?, ?)')
        .run(t.accountId, t.orgId, `Account ${t.accountId}`, now, now);
      this.db
        .prepare(
          `INSERT INTO tenants (workspace_id, account_id, org_id, name, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (workspace_id) DO UPDATE SET account_id = excluded.account_id, org_id = excluded.org_id`,
        )
        .run(t.workspaceId, t.accountId, t.orgId, `Workspace ${t.workspaceId}`, now, now);
    })();
  }

  tenantOf(id: WorkspaceId): Tenant | undefined {
    const r = this.db.prepare('SELECT * FROM tenants WHERE workspace_id = ?').get(id) as TenantRow | undefined;
    return r && { workspaceId: workspaceId(r.workspace_id), accountId: r.account_id, orgId: r.org_id };
  }

  workspacesOf(accountId: number): WorkspaceId[] {
    const ids = this.db.prepare('SELECT workspace_id FROM tenants WHERE account_id = ? ORDER BY workspace_id').pluck().all(accountId) as number[];
    return ids.map(workspaceId);
  }

  saveInput(input: Omit<Input, 'id'> & { id?: Input['id'] }): Input {
    const existing = (
      input.id !== undefined
        ? this.db.prepare('SELECT id FROM inputs WHERE id = ?').pluck().get(input.id)
        : this.db.prepare('SELECT id FROM inputs WHERE workspace_id = ? AND name = ?').pluck().get(input.workspaceId, input.name)
    ) as number | undefined;
    const json = (v: object | undefined) => (v ? JSON.stringify(v) : null);
    const values = [input.workspaceId, input.name, input.apiKey, input.apiSecret, input.rateLimitPerSecond, input.allowKeyOnly ? 1 : 0, json(input.feed), json(input.appPlatform)];
    const id =
      existing === undefined
        ? Number(
            this.db
              .prepare('INSERT INTO inputs (workspace_id, name, api_key, api_secret, rate_limit, allow_key_only, feed, app_platform) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
              .run(...values).lastInsertRowid,
          )
        : (this.db
            .prepare('UPDATE inputs SET workspace_id = ?, name = ?, api_key = ?, api_secret = ?, rate_limit = ?, allow_key_only = ?, feed = ?, app_platform = ? WHERE id = ?')
            .run(...values, existing),
          existing);
    return { ...input, id: inputId(id) };
  }

  inputs(): Input[] {
    return (this.db.prepare('SELECT * FROM inputs ORDER BY id').all() as InputRow[]).map(toInput);
  }

  setting(key: string): string | undefined {
    return this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
  }

  saveSetting(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  deleteInput(id: Input['id']): boolean {
    return this.db.prepare('DELETE FROM inputs WHERE id = ?').run(id).changes > 0;
  }

  account(id: number): Account | undefined {
    const r = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return r && toAccount(r);
  }

  accountsOf(orgId: number): Account[] {
    return (this.db.prepare('SELECT * FROM accounts WHERE org_id = ? ORDER BY id').all(orgId) as AccountRow[]).map(toAccount);
  }

  createAccount(orgId: number, name: string, workspaceName: string, nowMs: number): { account: Account; workspace: Workspace } {
    return this.db.transaction(() => {
      const id = (this.db.prepare('SELECT max(id) FROM (SELECT max(id) AS id FROM accounts UNION ALL SELECT max(account_id) FROM tenants)').pluck().get() as number | null) ?? 0;
      this.db.prepare('INSERT INTO accounts (id, org_id, name, created_at, modified_at) VALUES (?, ?, ?, ?, ?)').run(id + 1, orgId, name, nowMs, nowMs);
      return { account: this.account(id + 1)!, workspace: this.insertWorkspace(id + 1, orgId, workspaceName, nowMs) };
    })();
  }

  renameAccount(id: number, name: string, nowMs: number): Account | undefined {
    this.db.prepare('UPDATE accounts SET name = ?, modified_at = ? WHERE id = ?').run(name, nowMs, id);
    return this.account(id);
  }

  deleteAccount(id: number): boolean {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM apps WHERE workspace_id IN (SELECT workspace_id FROM tenants WHERE account_id = ?)').run(id);
      this.db.prepare('DELETE FROM tenants WHERE account_id = ?').run(id);
      return this.db.prepare('DELETE FROM accounts WHERE id = ?').run(id).changes > 0;
    })();
  }

  workspace(id: WorkspaceId): Workspace | undefined {
    const r = this.db.prepare('SELECT * FROM tenants WHERE workspace_id = ?').get(id) as TenantRow | undefined;
    return r && toWorkspace(r);
  }

  createWorkspace(accountId: number, name: string, nowMs: number): Workspace {
    return this.db.transaction(() => this.insertWorkspace(accountId, this.account(accountId)!.orgId, name, nowMs))();
  }

  private insertWorkspace(accountId: number, orgId: number, name: string, nowMs: number): Workspace {
    const id = ((this.db.prepare('SELECT max(workspace_id) FROM tenants').pluck().get() as number | null) ?? 0) + 1;
    this.db
      .prepare('INSERT INTO tenants (workspace_id, account_id, org_id, name, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, accountId, orgId, name, nowMs, nowMs);
    return this.workspace(workspaceId(id))!;
  }

  saveApp(app: Omit<App, 'id'> & { id?: number }): App {
    const values = [app.workspaceId, app.name, JSON.stringify(app.dataPoints), app.createdAtMs, app.modifiedAtMs];
    const id =
      app.id === undefined
        ? Number(this.db.prepare('INSERT INTO apps (workspace_id, name, data_points, created_at, modified_at) VALUES (?, ?, ?, ?, ?)').run(...values).lastInsertRowid)
        : (this.db.prepare('UPDATE apps SET workspace_id = ?, name = ?, data_points = ?, created_at = ?, modified_at = ? WHERE id = ?').run(...values, app.id), app.id);
    return { ...app, id };
  }

  app(id: number): App | undefined {
    const r = this.db.prepare('SELECT * FROM apps WHERE id = ?').get(id) as AppRow | undefined;
    return r && toApp(r);
  }

  appsIn(workspaces: readonly WorkspaceId[]): App[] {
    if (workspaces.length === 0) return [];
    const rows = this.db.prepare(`SELECT * FROM apps WHERE workspace_id IN (${workspaces.map(() => '?').join(', ')}) ORDER BY id`).all(...workspaces) as AppRow[];
    return rows.map(toApp);
  }

  deleteApp(id: number): boolean {
    return this.db.prepare('DELETE FROM apps WHERE id = ?').run(id).changes > 0;
  }

  close(): void {
    this.db.close();
  }
}
