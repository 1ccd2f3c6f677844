import { PathIdInvalid } from '../kernel/id-errors.ts';
import { parseAccountId, parseOrgId, parseWorkspaceId, workspaceId, type WorkspaceId } from '../kernel/ids.ts';
import type { TokenService } from './oauth.ts';
import { TenantMismatch, WorkspaceForbidden } from './platform-errors.ts';
import type { PlatformStore } from './platform-store.ts';

/** Who calls: the Bearer token's API client, and the workspace it may use. */
export interface Caller {
  clientId: string;
  workspaceId: WorkspaceId;
}

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
 * Who may call the Platform, Profile and Live Stream APIs: API clients with a Bearer token from
 * `/oauth/token`, on the workspaces of their own organisation.
 */
export class PlatformAccess {
  constructor(
    private readonly tokens: TokenService,
    private readonly store: PlatformStore,
    /** The workspace a caller gets when it names none (the bootstrap workspace). */
    private readonly defaultWorkspace: WorkspaceId,
  ) {}

  /**
   * The caller of a route naming a tenant in its path: the Bearer token (401 without a valid
   * one), the path's workspace (400 when malformed), which must belong to the token's
   * organisation, as must the path's org and account when it names them (403).
   */
  tenant(authorization: string | undefined, params: Readonly<Record<string, string | undefined>>): Caller {
    const clientId = this.tokens.verify(authorization);
    const { workspaceId: requested, orgId, accountId } = tenantIdsOf(params);
    const ws = this.workspaceFor(clientId, requested);
    if (orgId !== undefined || accountId !== undefined) {
      const tenant = this.store.tenantOf(ws)!;
      if (tenant.orgId !== orgId || tenant.accountId !== accountId) {
        throw new TenantMismatch(ws, orgId ?? 0, accountId ?? 0);
      }
    }
    return { clientId, workspaceId: ws };
  }

  /** The workspace an API client may use: the one it asks for, or the default one, if it belongs to the client's organisation (403 otherwise). */
  workspaceFor(clientId: string, requested: number | undefined): WorkspaceId {
    const ws = requested === undefined ? this.defaultWorkspace : workspaceId(requested);
    const tenant = this.store.tenantOf(ws);
    const client = this.store.apiClient(clientId);
    if (!tenant || !client || tenant.orgId !== client.orgId) {
      throw new WorkspaceForbidden(ws);
    }
    return ws;
  }
}
