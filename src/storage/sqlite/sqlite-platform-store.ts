import { inputId, workspaceId, type WorkspaceId } from '../../kernel/ids.ts';
import type { ApiClient, FeedConfig, Input, PlatformStore, Tenant } from '../../platform/platform-store.ts';
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
}

const toInput = (r: InputRow): Input => ({
  id: inputId(r.id),
  workspaceId: workspaceId(r.workspace_id),
  name: r.name,
  apiKey: r.api_key,
  apiSecret: r.api_secret,
  rateLimitPerSecond: r.rate_limit,
  allowKeyOnly: r.allow_key_only === 1,
  ...(r.feed === null ? {} : { feed: JSON.parse(r.feed) as FeedConfig }),
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
];

/** The platform part of the state store, in SQLite. */
export class SqlitePlatformStore implements PlatformStore {
  private readonly db: Sqlite;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'platform', PLATFORM_MIGRATIONS, options);
  }

  saveTenant(t: Tenant): void {
    this.db
      .prepare(
        `INSERT INTO tenants (workspace_id, account_id, org_id) VALUES (?, ?, ?)
         ON CONFLICT (workspace_id) DO UPDATE SET account_id = excluded.account_id, org_id = excluded.org_id`,
      )
      .run(t.workspaceId, t.accountId, t.orgId);
  }

  tenantOf(id: WorkspaceId): Tenant | undefined {
    const r = this.db.prepare('SELECT * FROM tenants WHERE workspace_id = ?').get(id) as
      | { workspace_id: number; account_id: number; org_id: number }
      | undefined;
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
    const values = [input.workspaceId, input.name, input.apiKey, input.apiSecret, input.rateLimitPerSecond, input.allowKeyOnly ? 1 : 0, input.feed ? JSON.stringify(input.feed) : null];
    const id =
      existing === undefined
        ? Number(
            this.db
              .prepare('INSERT INTO inputs (workspace_id, name, api_key, api_secret, rate_limit, allow_key_only, feed) VALUES (?, ?, ?, ?, ?, ?, ?)')
              .run(...values).lastInsertRowid,
          )
        : (this.db
            .prepare('UPDATE inputs SET workspace_id = ?, name = ?, api_key = ?, api_secret = ?, rate_limit = ?, allow_key_only = ?, feed = ? WHERE id = ?')
            .run(...values, existing),
          existing);
    return { ...input, id: inputId(id) };
  }

  inputs(): Input[] {
    return (this.db.prepare('SELECT * FROM inputs ORDER BY id').all() as InputRow[]).map(toInput);
  }

  saveApiClient(c: ApiClient): void {
    this.db
      .prepare(
        `INSERT INTO api_clients (client_id, client_secret, org_id) VALUES (?, ?, ?)
         ON CONFLICT (client_id) DO UPDATE SET client_secret = excluded.client_secret, org_id = excluded.org_id`,
      )
      .run(c.clientId, c.clientSecret, c.orgId);
  }

  apiClient(clientId: string): ApiClient | undefined {
    const r = this.db.prepare('SELECT * FROM api_clients WHERE client_id = ?').get(clientId) as
      | { client_id: string; client_secret: string; org_id: number }
      | undefined;
    return r && { clientId: r.client_id, clientSecret: r.client_secret, orgId: r.org_id };
  }

  saveToken(tokenHash: string, clientId: string, expiresAtMs: number): void {
    this.db.prepare('DELETE FROM oauth_tokens WHERE expires_at < ?').run(Date.now());
    this.db.prepare('INSERT INTO oauth_tokens (token_hash, client_id, expires_at) VALUES (?, ?, ?)').run(tokenHash, clientId, expiresAtMs);
  }

  tokenClient(tokenHash: string, nowMs: number): string | undefined {
    return this.db
      .prepare('SELECT client_id FROM oauth_tokens WHERE token_hash = ? AND expires_at > ?')
      .pluck()
      .get(tokenHash, nowMs) as string | undefined;
  }

  setting(key: string): string | undefined {
    return this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as string | undefined;
  }

  saveSetting(key: string, value: string): void {
    this.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(key, value);
  }

  close(): void {
    this.db.close();
  }
}
