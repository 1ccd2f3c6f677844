import type { Role } from './permissions.ts';
import type { Grant } from '../model/permissions.ts';

/** An API client of the Platform, Profile and other Bearer-token APIs (OAuth client credentials). */
export interface ApiClient {
  /** The credential's id in the credentials API. */
  readonly id: number;
  readonly clientId: string;
  /** SHA-256 of the secret: the secret itself is shown once, when it is made. */
  readonly secretHash: string;
  readonly name: string;
  readonly orgId: number;
  /** The account it may act in; null: every account of its organisation (the bootstrap client). */
  readonly accountId: number | null;
  /** The workspaces of that account it may act in; null: all of them. */
  readonly workspaceIds: readonly number[] | null;
  readonly permissions: readonly Grant[];
  /** A deactivated client's secret and tokens are refused at once. */
  readonly active: boolean;
  readonly createdAtMs: number;
  readonly modifiedAtMs: number;
}

/** A person with access to an account (mParticle's users), with one role. */
export interface User {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly orgId: number;
  readonly accountId: number;
  /** A built-in role's id (`admin-role`...) or a custom role's `role_id`. */
  readonly roleId: string;
  /** scrypt of the password, `salt:hash` in hex. */
  readonly passwordHash: string;
  readonly createdAtMs: number;
}

/** An organisation's custom roles, replaced as a whole (`PUT .../roles`). */
export interface RoleManifest {
  readonly roles: readonly Role[];
  readonly lastModifiedMs: number | null;
  readonly lastModifiedBy: string | null;
}

/** Who a Bearer token speaks for. */
export type TokenSubject = { readonly kind: 'api_client'; readonly clientId: string } | { readonly kind: 'user'; readonly email: string };

/**
 * API clients, users, custom roles and OAuth tokens (part of the storage role "state"). Quanta's
 * own operators, not end users' data: a data subject request never touches it.
 *
 * @example
 *   const client = store.saveClient({ clientId, secretHash, name: 'ETL', orgId: 1, accountId: 1, workspaceIds: null, permissions, active: true, ... });
 *   store.saveToken(hash(token), { kind: 'api_client', clientId }, expiresAtMs);
 */
export interface AccessStore {
  /** Creates the client (no `id`) or replaces the one with that `id`; client ids are unique. */
  saveClient(client: Omit<ApiClient, 'id'> & { id?: number }): ApiClient;
  client(clientId: string): ApiClient | undefined;
  clientById(id: number): ApiClient | undefined;
  /** The clients scoped to an account, by id. */
  clientsOf(accountId: number): ApiClient[];
  /** Deletes the client and every token issued to it. */
  deleteClient(id: number): void;
  /** Creates or replaces the user with that email. */
  saveUser(user: User): void;
  user(email: string): User | undefined;
  usersOf(accountId: number): User[];
  /** The users of an organisation holding that role. */
  usersWithRole(orgId: number, roleId: string): User[];
  /** Deletes the user and every token issued to them. */
  deleteUser(email: string): void;
  roleManifest(orgId: number): RoleManifest;
  saveRoleManifest(orgId: number, manifest: RoleManifest): void;
  saveToken(tokenHash: string, subject: TokenSubject, expiresAtMs: number): void;
  /** Who an unexpired token speaks for. */
  tokenSubject(tokenHash: string, nowMs: number): TokenSubject | undefined;
  /** Ends every token of a subject (a rotated or deactivated client, a user whose role changed hands). */
  deleteTokens(subject: TokenSubject): void;
  close(): void;
}
