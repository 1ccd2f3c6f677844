import { BadRequest, Forbidden } from '../kernel/errors.ts';
import { workspaceId, type WorkspaceId } from '../kernel/ids.ts';
import type { TokenService } from './oauth.ts';
import type { PlatformStore } from './platform-store.ts';

/** Who calls: the Bearer token's API client, and the workspace it may use. */
export interface Caller {
  clientId: string;
  workspaceId: WorkspaceId;
}

/** A tenant id from a path: digits only, positive and exact in a JavaScript number. */
function tenantIdOf(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new BadRequest([{ code: 'BAD_REQUEST', message: `${name} "${raw}" is not an id; use a whole number from 1 to ${Number.MAX_SAFE_INTEGER}.` }]);
  }
  return n;
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
    const requested = tenantIdOf('workspaceId', params.workspaceId);
    const orgId = tenantIdOf('orgId', params.orgId);
    const accountId = tenantIdOf('accountId', params.accountId);
    const ws = this.workspaceFor(clientId, requested);
    if (orgId !== undefined || accountId !== undefined) {
      const tenant = this.store.tenantOf(ws)!;
      if (tenant.orgId !== orgId || tenant.accountId !== accountId) {
        throw new Forbidden(`Workspace ${ws} is not in org ${orgId} and account ${accountId}.`);
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
      throw new Forbidden(`Workspace ${ws} does not exist or does not belong to this API client's organisation.`);
    }
    return ws;
  }
}
