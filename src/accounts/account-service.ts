import type { WorkspaceId } from '../kernel/ids.ts';
import type { Account, PlatformStore, Workspace } from '../platform/platform-store.ts';
import { AccountHasApps, AccountInUse, AccountNameMissing, AccountNameTaken, AccountNotFound, WorkspaceNameMissing, WorkspaceNameTaken } from './account-errors.ts';
import { v1Time } from '../platform/v1-envelope.ts';

/** The accounts a caller may use: those of its organisation, or only one of them. */
export interface AccountScope {
  readonly orgId: number;
  /** The one account the caller may act in; null: every account of its organisation. */
  readonly accountId: number | null;
}

export interface AccountServiceDeps {
  store: PlatformStore;
  /** Whether a workspace has outputs (they would be left sending nothing, to nowhere). */
  hasOutputs(ws: WorkspaceId): boolean;
  now?: () => number;
}

/** The workspace `POST /v1/accounts` makes with the account. */
export const DEFAULT_WORKSPACE_NAME = 'Default Workspace';

const accountView = (a: Account) => ({ name: a.name, last_modified_on: v1Time(a.modifiedAtMs), data_type: 'account', id: a.id, created_on: v1Time(a.createdAtMs) });
// The id as a string: mParticle's example of this list shows it so (`"id": "4302"`), unlike every other v1 id.
const workspaceView = (w: Workspace) => ({ id: String(w.workspaceId), name: w.name, data_type: 'workspace', created_on: v1Time(w.createdAtMs) });

/** The `name` of a v1 body (`{"name": "..."}`), trimmed; undefined when missing or blank. Other fields are ignored, so a GET's entity may be sent back. */
function nameOf(body: unknown): string | undefined {
  const name = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { name?: unknown }).name : undefined;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : undefined;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The Platform API v1 accounts and workspaces: an organisation's accounts, each with its
 * workspaces (the platform store's tenants). Names are unique (any case) among the
 * organisation's accounts and among an account's workspaces. An account is made with one
 * workspace, and deleted only once its workspaces hold no apps, inputs or outputs.
 */
export class AccountService {
  private readonly store: PlatformStore;
  private readonly now: () => number;

  constructor(private readonly deps: AccountServiceDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
  }

  get(scope: AccountScope, id: number) {
    return accountView(this.find(scope, id));
  }

  list(scope: AccountScope) {
    return this.store
      .accountsOf(scope.orgId)
      .filter((a) => scope.accountId === null || a.id === scope.accountId)
      .map(accountView);
  }

  create(scope: AccountScope, body: unknown) {
    const name = this.accountName(scope, body, undefined);
    return accountView(this.store.createAccount(scope.orgId, name, DEFAULT_WORKSPACE_NAME, this.now()).account);
  }

  rename(scope: AccountScope, id: number, body: unknown) {
    this.find(scope, id);
    return accountView(this.store.renameAccount(id, this.accountName(scope, body, id), this.now())!);
  }

  delete(scope: AccountScope, id: number): void {
    this.find(scope, id);
    const workspaces = this.store.workspacesOf(id);
    if (this.store.appsIn(workspaces).length > 0) throw new AccountHasApps();
    const inputs = this.store.inputs().filter((i) => workspaces.includes(i.workspaceId));
    if (inputs.length > 0) throw new AccountInUse(`inputs (${inputs.map((i) => `"${i.name}"`).join(', ')})`);
    const sending = workspaces.filter((ws) => this.deps.hasOutputs(ws));
    if (sending.length > 0) throw new AccountInUse(`outputs (in workspace${sending.length > 1 ? 's' : ''} ${sending.join(', ')})`);
    this.store.deleteAccount(id);
  }

  /** The account's workspaces among those the caller may reach. */
  workspaces(accountId: number, reachable: readonly WorkspaceId[]) {
    return this.store
      .workspacesOf(accountId)
      .filter((ws) => reachable.includes(ws))
      .map((ws) => workspaceView(this.store.workspace(ws)!));
  }

  createWorkspace(accountId: number, body: unknown) {
    const name = nameOf(body);
    if (name === undefined) throw new WorkspaceNameMissing();
    if (this.store.workspacesOf(accountId).some((ws) => same(this.store.workspace(ws)!.name, name))) throw new WorkspaceNameTaken();
    return workspaceView(this.store.createWorkspace(accountId, name, this.now()));
  }

  private find(scope: AccountScope, id: number): Account {
    const account = this.store.account(id);
    if (!account || account.orgId !== scope.orgId || (scope.accountId !== null && scope.accountId !== id)) throw new AccountNotFound(id);
    return account;
  }

  private accountName(scope: AccountScope, body: unknown, id: number | undefined): string {
    const name = nameOf(body);
    if (name === undefined) throw new AccountNameMissing();
    if (this.store.accountsOf(scope.orgId).some((a) => a.id !== id && same(a.name, name))) throw new AccountNameTaken();
    return name;
  }
}
