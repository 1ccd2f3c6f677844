import type { WorkspaceId } from '../kernel/ids.ts';
import type { Actor } from './actor.ts';
import type { Rights } from './permissions.ts';

/** Who calls: an API client or a user, with what they hold and where they may act. */
export interface Principal {
  readonly kind: 'api_client' | 'user';
  /** The client id, or the user's email. */
  readonly id: string;
  readonly orgId: number;
  /** The one account it may act in; null: every account of its organisation. */
  readonly accountId: number | null;
  /** The workspaces of that account it may act in; null: all of them. */
  readonly workspaceIds: readonly number[] | null;
  readonly rights: Rights;
}

/** A tenant route's caller, once checked: who, and the tenant the call is for. */
export interface Caller {
  readonly principal: Principal;
  /** Who makes a change, as `created_by` records it. */
  readonly actor: Actor;
  /** The path's workspace; on a route naming none, the default one of the account the call is for. */
  readonly workspaceId: WorkspaceId;
  /** The account the call is for: the path workspace's, the path's, `?accountId=`'s, or the caller's own. */
  readonly accountId: number;
  /** That account's workspaces the caller may reach (account-wide routes list only these). */
  readonly workspaces: readonly WorkspaceId[];
}

/** What a tenant check reads of a request. */
export interface TenantRequest {
  readonly authorization: string | undefined;
  /** The path parameters (`workspaceId`, `orgId`, `accountId`), as sent. */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** `?accountId=` of Platform API v1 calls, as sent. */
  readonly accountId?: string | undefined;
  /** Whether the route changes something (any method but GET and HEAD). */
  readonly write: boolean;
}

