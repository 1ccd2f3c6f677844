import { problem, type ErrorDetail } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { Principal } from '../model/caller.ts';
import { CredentialEscalation, CredentialInvalid, CredentialNotFound } from './access-errors.ts';
import type { AccessStore, ApiClient } from './access-store.ts';
import { grantsCover } from './permissions.ts';
import { APIS, type ApiName, type Grant, LEVELS, type Level } from '../model/permissions.ts';
import { newSecret, sha256 } from './secrets.ts';

/** A credential as the credentials API answers it (never its secret, but when it is made or rotated). */
export interface CredentialView {
  id: number;
  name: string;
  client_id: string;
  permissions: Grant[];
  scope: { account_id: number; workspace_ids: number[] | null };
  is_active: boolean;
  created_on: string;
  last_modified_on: string;
}

/** Where a credentials call is for: the path's org and account, that account's workspaces, and who asks. */
export interface CredentialScope {
  orgId: number;
  accountId: number;
  /** Every workspace of the account. */
  workspaces: readonly WorkspaceId[];
  caller: Principal;
}

const view = (c: ApiClient): CredentialView => ({
  id: c.id,
  name: c.name,
  client_id: c.clientId,
  permissions: [...c.permissions],
  scope: { account_id: c.accountId!, workspace_ids: c.workspaceIds === null ? null : [...c.workspaceIds] },
  is_active: c.active,
  created_on: new Date(c.createdAtMs).toISOString(),
  last_modified_on: new Date(c.modifiedAtMs).toISOString(),
});

type Body = Record<string, unknown>;

/**
 * API credentials (mParticle's API Credentials screen, as an API): clients with permissions per
 * API and a scope of one account or some of its workspaces, the secret shown once and stored
 * hashed; edits, deactivation, rotation and deletion take effect on the next call.
 */
export class ApiClientService {
  constructor(
    private readonly store: AccessStore,
    private readonly now: () => number = Date.now,
  ) {}

  list(scope: CredentialScope): CredentialView[] {
    return this.store.clientsOf(scope.accountId).map(view);
  }

  get(scope: CredentialScope, id: number): CredentialView {
    return view(this.find(scope, id));
  }

  create(scope: CredentialScope, body: unknown): CredentialView & { client_secret: string } {
    const b = objectOf(body);
    const problems: ErrorDetail[] = [];
    const name = nameOf(b.name, problems, true)!;
    const permissions = permissionsOf(b.permissions, problems, true)!;
    const workspaceIds = workspacesOf(b.scope, scope, problems);
    if (problems.length > 0) throw new CredentialInvalid(problems);
    this.mayGrant(scope.caller, permissions, workspaceIds);
    const secret = newSecret();
    const at = this.now();
    const client = this.store.saveClient({
      clientId: `qc_${newSecret(12)}`,
      secretHash: sha256(secret),
      name,
      orgId: scope.orgId,
      accountId: scope.accountId,
      workspaceIds,
      permissions,
      active: true,
      createdAtMs: at,
      modifiedAtMs: at,
    });
    return { ...view(client), client_secret: secret };
  }

  /** Changes what is given of name, permissions, scope and `is_active`; a deactivated client's tokens end. */
  update(scope: CredentialScope, id: number, body: unknown): CredentialView {
    const current = this.find(scope, id);
    const b = objectOf(body);
    const problems: ErrorDetail[] = [];
    const name = nameOf(b.name, problems, false) ?? current.name;
    const permissions = permissionsOf(b.permissions, problems, false) ?? current.permissions;
    const workspaceIds = b.scope === undefined ? current.workspaceIds : workspacesOf(b.scope, scope, problems);
    if (b.is_active !== undefined && typeof b.is_active !== 'boolean') problems.push(problem('is_active must be true or false.'));
    if (problems.length > 0) throw new CredentialInvalid(problems);
    this.mayGrant(scope.caller, permissions, workspaceIds);
    const active = (b.is_active as boolean | undefined) ?? current.active;
    const saved = this.store.saveClient({ ...current, name, permissions, workspaceIds, active, modifiedAtMs: this.now() });
    if (!active) this.store.deleteTokens({ kind: 'api_client', clientId: current.clientId });
    return view(saved);
  }

  /** A new secret, shown once; the old one and every token made with it stop working now. */
  rotate(scope: CredentialScope, id: number): CredentialView & { client_secret: string } {
    const current = this.find(scope, id);
    const secret = newSecret();
    const saved = this.store.saveClient({ ...current, secretHash: sha256(secret), modifiedAtMs: this.now() });
    this.store.deleteTokens({ kind: 'api_client', clientId: current.clientId });
    return { ...view(saved), client_secret: secret };
  }

  delete(scope: CredentialScope, id: number): void {
    this.store.deleteClient(this.find(scope, id).id);
  }

  private find(scope: CredentialScope, id: number): ApiClient {
    const client = this.store.clientById(id);
    if (!client || client.accountId !== scope.accountId || client.orgId !== scope.orgId) throw new CredentialNotFound(String(id), scope.accountId);
    return client;
  }

  /** An API client may grant only the APIs and levels it holds, within its own workspaces. */
  private mayGrant(caller: Principal, permissions: readonly Grant[], workspaceIds: readonly number[] | null): void {
    if (caller.rights.kind !== 'grants') return;
    if (!grantsCover(caller.rights.grants, permissions)) {
      throw new CredentialEscalation(`it holds ${caller.rights.grants.map((g) => `${g.api}:${g.permission}`).join(', ') || 'nothing'}`);
    }
    const own = caller.workspaceIds;
    if (own !== null && (workspaceIds === null || workspaceIds.some((w) => !own.includes(w)))) {
      throw new CredentialEscalation(`its scope is workspaces ${own.join(', ')}`);
    }
  }
}

const objectOf = (body: unknown): Body => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new CredentialInvalid([problem('The body must be a JSON object.')]);
  return body as Body;
};

function nameOf(value: unknown, problems: ErrorDetail[], required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.trim() === '' || value.length > 100) {
    problems.push(problem('name is required: a display name of 1 to 100 characters.'));
    return undefined;
  }
  return value.trim();
}

function permissionsOf(value: unknown, problems: ErrorDetail[], required: boolean): Grant[] | undefined {
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(problem(`permissions must be a non-empty array of {"api", "permission"}: api one of ${APIS.join(', ')}; permission one of ${LEVELS.join(', ')}.`));
    return undefined;
  }
  const grants: Grant[] = [];
  value.forEach((g: unknown, i) => {
    const { api, permission } = (typeof g === 'object' && g !== null ? g : {}) as Body;
    if (!(APIS as readonly unknown[]).includes(api)) problems.push(problem(`permissions[${i}].api "${String(api)}" is not one of ${APIS.join(', ')}.`));
    else if (!(LEVELS as readonly unknown[]).includes(permission)) problems.push(problem(`permissions[${i}].permission "${String(permission)}" is not one of ${LEVELS.join(', ')}.`));
    else if (grants.some((x) => x.api === api)) problems.push(problem(`permissions[${i}]: the ${String(api)} API is listed twice.`));
    else grants.push({ api: api as ApiName, permission: permission as Level });
  });
  return grants;
}

/** The scope's workspaces: null (the whole account) when none are listed. */
function workspacesOf(value: unknown, scope: CredentialScope, problems: ErrorDetail[]): number[] | null {
  if (value === undefined) return null;
  const { account_id, workspace_ids } = (typeof value === 'object' && value !== null ? value : {}) as Body;
  if (account_id !== undefined && account_id !== scope.accountId) problems.push(problem(`scope.account_id must be this path's account, ${scope.accountId}.`));
  if (workspace_ids === undefined || (Array.isArray(workspace_ids) && workspace_ids.length === 0)) return null;
  if (!Array.isArray(workspace_ids) || workspace_ids.some((w) => !Number.isInteger(w))) {
    problems.push(problem('scope.workspace_ids must be an array of workspace ids.'));
    return null;
  }
  const unknown = workspace_ids.filter((w) => !scope.workspaces.includes(w as WorkspaceId));
  if (unknown.length > 0) problems.push(problem(`scope.workspace_ids ${unknown.join(', ')} are not workspaces of account ${scope.accountId}.`));
  return [...new Set(workspace_ids as number[])].sort((a, b) => a - b);
}
