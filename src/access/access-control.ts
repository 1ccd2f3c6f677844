import { PathIdInvalid } from '../kernel/id-errors.ts';
import { parseAccountId, parseOrgId, parseWorkspaceId, workspaceId, type WorkspaceId } from '../kernel/ids.ts';
import type { Actor } from '../model/actor.ts';
import type { Caller, Principal, TenantRequest } from '../model/caller.ts';
import { AccountForbidden } from '../platform/platform-errors.ts';
import type { PlatformStore, Tenant } from '../platform/platform-store.ts';
import type { AccessStore, TokenSubject } from './access-store.ts';
import { AccountOutOfScope, PermissionDenied, TenantMismatch, TokenInvalid, WorkspaceForbidden } from './access-errors.ts';
import { describePermission, type Permission } from '../model/permissions.ts';
import { allows, BUILT_IN_ROLES, type Role } from './permissions.ts';
import type { TokenService } from './tokens.ts';

/** The tenant ids a path names, parsed (undefined where it names none); a malformed one is a 400 naming it. */
function tenantIdsOf(params: Readonly<Record<string, string | undefined>>) {
  const parsers = { workspaceId: parseWorkspaceId, orgId: parseOrgId, accountId: parseAccountId } as const;
  const ids: Partial<Record<keyof typeof parsers, number>> = {};
  const invalid: { name: string; value: string }[] = [];
  for (const [name, parse] of Object.entries(parsers) as [keyof typeof parsers, (text: string) => number | undefined][]) {
    const text = params[name];
    if (text === undefined) continue;
    const id = parse(text);
    if (id === undefined) invalid.push({ name, value: text });
    else ids[name] = id;
  }
  if (invalid.length > 0) throw new PathIdInvalid(invalid);
  return ids;
}

/**
 * Who may call the Bearer-token APIs (Platform, Profile, Data Planning, Live Stream...): the
 * token's subject, read afresh on every call (so a revoked, rotated or deactivated credential and
 * a user's changed role take effect at once), checked against the route's permission and the
 * tenant the call is for.
 */
export class AccessControl {
  constructor(
    private readonly tokens: TokenService,
    private readonly access: AccessStore,
    private readonly platform: PlatformStore,
    /** The workspace a caller gets when it names none (the bootstrap workspace). */
    private readonly defaultWorkspace: WorkspaceId,
  ) {}

  /**
   * The caller of a route: a valid Bearer token (401), the permission the route needs (403), the
   * path's tenant ids (400 when malformed), which must be within the caller's scope (403), and a
   * Platform API v1 `?accountId=` that must be the path workspace's account (403).
   */
  authorize(request: TenantRequest, permission: Permission): Caller {
    const principal = this.principal(this.tokens.verify(request.authorization));
    if (!allows(principal.rights, permission, request.write)) throw new PermissionDenied(describePermission(permission, request.write));
    const { workspaceId: ws, orgId, accountId } = tenantIdsOf(request.params);
    const queried = request.accountId !== undefined ? parseAccountId(request.accountId) : undefined;
    if (ws !== undefined) {
      const tenant = this.platform.tenantOf(workspaceId(ws));
      if (!tenant || !inScope(principal, tenant)) throw new WorkspaceForbidden(workspaceId(ws));
      if ((orgId !== undefined || accountId !== undefined) && (tenant.orgId !== orgId || tenant.accountId !== accountId)) {
        throw new TenantMismatch(tenant.workspaceId, orgId ?? 0, accountId ?? 0);
      }
      if (queried !== undefined && queried !== tenant.accountId) throw new AccountForbidden(tenant.workspaceId, queried);
      return { principal, actor: actorOf(principal), workspaceId: tenant.workspaceId, accountId: tenant.accountId, workspaces: [tenant.workspaceId] };
    }
    if (orgId !== undefined && orgId !== principal.orgId) throw new AccountOutOfScope(accountId ?? 0);
    return this.accountCaller(principal, accountId ?? queried ?? principal.accountId ?? this.platform.tenantOf(this.defaultWorkspace)!.accountId);
  }

  /** The subject of a token as a principal; a token whose credentials are gone or deactivated is a 401. */
  principal(subject: TokenSubject): Principal {
    if (subject.kind === 'api_client') {
      const c = this.access.client(subject.clientId);
      if (!c || !c.active) throw new TokenInvalid();
      return { kind: 'api_client', id: c.clientId, orgId: c.orgId, accountId: c.accountId, workspaceIds: c.workspaceIds, rights: { kind: 'grants', grants: c.permissions } };
    }
    const u = this.access.user(subject.email);
    if (!u) throw new TokenInvalid();
    const role = roleOf(u.roleId, this.access.roleManifest(u.orgId).roles);
    const tasks = new Set((role?.tasks ?? []).map((t) => t.task_id));
    return { kind: 'user', id: u.email, orgId: u.orgId, accountId: u.accountId, workspaceIds: null, rights: { kind: 'tasks', tasks } };
  }

  private accountCaller(principal: Principal, accountId: number): Caller {
    const account = this.platform.account(accountId);
    const reachable = account !== undefined && account.orgId === principal.orgId && (principal.accountId === null || principal.accountId === accountId);
    const workspaces = reachable ? this.platform.workspacesOf(accountId).filter((ws) => principal.workspaceIds === null || principal.workspaceIds.includes(ws)) : [];
    if (workspaces.length === 0) throw new AccountOutOfScope(accountId);
    const ws = workspaces.includes(this.defaultWorkspace) ? this.defaultWorkspace : workspaces[0]!;
    return { principal, actor: actorOf(principal), workspaceId: ws, accountId, workspaces };
  }
}

/** Whether a principal may act in a tenant's workspace: its organisation, its account (if it has one), its workspaces (if listed). */
function inScope(principal: Principal, tenant: Tenant): boolean {
  if (tenant.orgId !== principal.orgId) return false;
  if (principal.accountId !== null && principal.accountId !== tenant.accountId) return false;
  return principal.workspaceIds === null || principal.workspaceIds.includes(tenant.workspaceId);
}

/** A role by id: built in, or one of the organisation's custom roles. */
export function roleOf(roleId: string, custom: readonly Role[]): Role | undefined {
  return BUILT_IN_ROLES.find((r) => r.role_id === roleId) ?? custom.find((r) => r.role_id === roleId);
}

/** What a principal's changes are recorded as: `client_id:<id>` (as mParticle writes it) or the user's email. */
export const actorOf = (p: Principal): Actor => ({ by: p.kind === 'api_client' ? `client_id:${p.id}` : p.id });
