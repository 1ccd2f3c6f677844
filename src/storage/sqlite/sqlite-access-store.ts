import type { AccessStore, ApiClient, RoleManifest, TokenSubject, User } from '../../access/access-store.ts';
import type { Role } from '../../access/permissions.ts';
import type { Grant } from '../../model/permissions.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

interface ClientRow {
  id: number;
  client_id: string;
  secret_hash: string;
  name: string;
  org_id: number;
  account_id: number | null;
  workspace_ids: string | null;
  permissions: string;
  active: number;
  created_at: number;
  modified_at: number;
}

interface UserRow {
  email: string;
  first_name: string;
  last_name: string;
  org_id: number;
  account_id: number;
  role_id: string;
  password_hash: string;
  created_at: number;
}

const toClient = (r: ClientRow): ApiClient => ({
  id: r.id,
  clientId: r.client_id,
  secretHash: r.secret_hash,
  name: r.name,
  orgId: r.org_id,
  accountId: r.account_id,
  workspaceIds: r.workspace_ids === null ? null : (JSON.parse(r.workspace_ids) as number[]),
  permissions: JSON.parse(r.permissions) as Grant[],
  active: r.active === 1,
  createdAtMs: r.created_at,
  modifiedAtMs: r.modified_at,
});

const toUser = (r: UserRow): User => ({
  email: r.email,
  firstName: r.first_name,
  lastName: r.last_name,
  orgId: r.org_id,
  accountId: r.account_id,
  roleId: r.role_id,
  passwordHash: r.password_hash,
  createdAtMs: r.created_at,
});

const subjectKey = (s: TokenSubject) => (s.kind === 'api_client' ? `api_client:${s.clientId}` : `user:${s.email}`);
const subjectOf = (key: string): TokenSubject => {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  const id = key.slice(colon + 1);
  return kind === 'user' ? { kind: 'user', email: id } : { kind: 'api_client', clientId: id };
};

/** The access store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const ACCESS_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'API clients (hashed secrets, grants, scope), users and their roles, custom role manifests, OAuth tokens',
    up: `
      CREATE TABLE IF NOT EXISTS access_clients (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id TEXT NOT NULL UNIQUE,
        secret_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        org_id INTEGER NOT NULL,
        account_id INTEGER,
        workspace_ids TEXT,
        permissions TEXT NOT NULL,
        active INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        modified_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS access_clients_account ON access_clients (account_id);
      CREATE TABLE IF NOT EXISTS access_users (
        email TEXT PRIMARY KEY,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        org_id INTEGER NOT NULL,
        account_id INTEGER NOT NULL,
        role_id TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS access_users_account ON access_users (account_id);
      CREATE TABLE IF NOT EXISTS access_role_manifests (
        org_id INTEGER PRIMARY KEY, roles TEXT NOT NULL, modified_at INTEGER, modified_by TEXT
      );
      CREATE TABLE IF NOT EXISTS access_tokens (
        token_hash TEXT PRIMARY KEY, subject TEXT NOT NULL, expires_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS access_tokens_subject ON access_tokens (subject);
    `,
  },
];

/** The access part of the state store, in SQLite. */
export class SqliteAccessStore implements AccessStore {
  private readonly db: Sqlite;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'access', ACCESS_MIGRATIONS, options);
  }

  saveClient(c: Omit<ApiClient, 'id'> & { id?: number }): ApiClient {
    const values = [c.clientId, c.secretHash, c.name, c.orgId, c.accountId, c.workspaceIds === null ? null : JSON.stringify(c.workspaceIds), JSON.stringify(c.permissions), c.active ? 1 : 0, c.createdAtMs, c.modifiedAtMs];
    if (c.id === undefined) {
      const id = this.db
        .prepare('INSERT INTO access_clients (client_id, secret_hash, name, org_id, account_id, workspace_ids, permissions, active, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(...values).lastInsertRowid;
      return { ...c, id: Number(id) };
    }
    this.db
      .prepare('UPDATE access_clients SET client_id = ?, secret_hash = ?, name = ?, org_id = ?, account_id = ?, workspace_ids = ?, permissions = ?, active = ?, created_at = ?, modified_at = ? WHERE id = ?')
      .run(...values, c.id);
    return { ...c, id: c.id };
  }

  client(clientId: string): ApiClient | undefined {
    const r = this.db.prepare('SELECT * FROM access_clients WHERE client_id = ?').get(clientId) as ClientRow | undefined;
    return r && toClient(r);
  }

  clientById(id: number): ApiClient | undefined {
    const r = this.db.prepare('SELECT * FROM access_clients WHERE id = ?').get(id) as ClientRow | undefined;
    return r && toClient(r);
  }

  clientsOf(accountId: number): ApiClient[] {
    return (this.db.prepare('SELECT * FROM access_clients WHERE account_id = ? ORDER BY id').all(accountId) as ClientRow[]).map(toClient);
  }

  deleteClient(id: number): void {
    const client = this.clientById(id);
    if (!client) return;
    this.db.transaction(() => {
      this.deleteTokens({ kind: 'api_client', clientId: client.clientId });
      this.db.prepare('DELETE FROM access_clients WHERE id = ?').run(id);
    })();
  }

  saveUser(u: User): void {
    this.db
      .prepare(
        `INSERT INTO access_users (email, first_name, last_name, org_id, account_id, role_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (email) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, org_id = excluded.org_id,
           account_id = excluded.account_id, role_id = excluded.role_id, password_hash = excluded.password_hash`,
      )
      .run(u.email, u.firstName, u.lastName, u.orgId, u.accountId, u.roleId, u.passwordHash, u.createdAtMs);
  }

  user(email: string): User | undefined {
    const r = this.db.prepare('SELECT * FROM access_users WHERE email = ?').get(email) as UserRow | undefined;
    return r && toUser(r);
  }

  usersOf(accountId: number): User[] {
    return (this.db.prepare('SELECT * FROM access_users WHERE account_id = ? ORDER BY email').all(accountId) as UserRow[]).map(toUser);
  }

  usersWithRole(orgId: number, roleId: string): User[] {
    return (this.db.prepare('SELECT * FROM access_users WHERE org_id = ? AND role_id = ? ORDER BY email').all(orgId, roleId) as UserRow[]).map(toUser);
  }

  deleteUser(email: string): void {
    this.db.transaction(() => {
      this.deleteTokens({ kind: 'user', email });
      this.db.prepare('DELETE FROM access_users WHERE email = ?').run(email);
    })();
  }

  roleManifest(orgId: number): RoleManifest {
    const r = this.db.prepare('SELECT * FROM access_role_manifests WHERE org_id = ?').get(orgId) as
      | { roles: string; modified_at: number | null; modified_by: string | null }
      | undefined;
    return r ? { roles: JSON.parse(r.roles) as Role[], lastModifiedMs: r.modified_at, lastModifiedBy: r.modified_by } : { roles: [], lastModifiedMs: null, lastModifiedBy: null };
  }

  saveRoleManifest(orgId: number, m: RoleManifest): void {
    this.db
      .prepare(
        `INSERT INTO access_role_manifests (org_id, roles, modified_at, modified_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (org_id) DO UPDATE SET roles = excluded.roles, modified_at = excluded.modified_at, modified_by = excluded.modified_by`,
      )
      .run(orgId, JSON.stringify(m.roles), m.lastModifiedMs, m.lastModifiedBy);
  }

  saveToken(tokenHash: string, subject: TokenSubject, expiresAtMs: number): void {
    this.db.prepare('DELETE FROM access_tokens WHERE expires_at < ?').run(Date.now());
    this.db.prepare('INSERT INTO access_tokens (token_hash, subject, expires_at) VALUES (?, ?, ?)').run(tokenHash, subjectKey(subject), expiresAtMs);
  }

  tokenSubject(tokenHash: string, nowMs: number): TokenSubject | undefined {
    const key = this.db.prepare('SELECT subject FROM access_tokens WHERE token_hash = ? AND expires_at > ?').pluck().get(tokenHash, nowMs) as string | undefined;
    return key === undefined ? undefined : subjectOf(key);
  }

  deleteTokens(subject: TokenSubject): void {
    this.db.prepare('DELETE FROM access_tokens WHERE subject = ?').run(subjectKey(subject));
  }

  close(): void {
    this.db.close();
  }
}
