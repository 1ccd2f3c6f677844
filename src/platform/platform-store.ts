import type { InputId, WorkspaceId } from '../kernel/ids.ts';

/** What a partner feed input was created with (`POST /v1/workspace/{ws}/partnerfeeds`). */
export interface FeedConfig {
  /** The feed module (`CleverTap`, `Custom Feed`...). */
  readonly moduleName: string;
  /** The platform the feed acts as (`iOS`, ..., `Unknown` for unbound). */
  readonly os: string;
  /** Its data is development data. */
  readonly isDebug: boolean;
  readonly settings: readonly { readonly name: string; readonly value: string | null }[];
  readonly createdAtMs: number;
}

/** An input: one source of data (a platform or feed) with its key and secret. */
export interface Input {
  id: InputId;
  workspaceId: WorkspaceId;
  name: string;
  apiKey: string;
  apiSecret: string;
  /** Batches per second this input may send; 0 for no limit. */
  rateLimitPerSecond: number;
  /** Whether the Identity API accepts this input's key alone (`x-mp-key`), as web inputs need. */
  allowKeyOnly: boolean;
  /** A partner feed's configuration; absent for an app platform input. */
  feed?: FeedConfig;
  /** An app platform's configuration (Platform API v1 `/v1/apps/{id}/platforms`); absent for other inputs. */
  appPlatform?: AppPlatformConfig;
}

/** What an app platform input is besides its key and secret: its app, OS and SDK settings. */
export interface AppPlatformConfig {
  readonly appId: number;
  /** One of the documented platforms (`iOS`, `Android`, `MobileWeb`...). */
  readonly os: string;
  /** `AppDefined`, `ForceCatch` or `ForceIgnore`; null when never set. */
  readonly crashHandling: string | null;
  /** `AppDefined`, `ForceTrue` or `ForceFalse`; null when never set. */
  readonly networkPerformance: string | null;
  /** `AppDefined`, `Facebook`, `Twitter` or `FacebookAndTwitter`; null when never set. */
  readonly socialMode: string | null;
  readonly profileMerging: boolean;
  /** Minutes. */
  readonly pushAttributionTimer: number;
  readonly createdAtMs: number;
  readonly modifiedAtMs: number;
}

/** An account of an organisation: a name and its workspaces (the `tenants`). */
export interface Account {
  readonly id: number;
  readonly orgId: number;
  readonly name: string;
  readonly createdAtMs: number;
  readonly modifiedAtMs: number;
}

/** A workspace with its name and times. */
export interface Workspace extends Tenant {
  readonly name: string;
  readonly createdAtMs: number;
  readonly modifiedAtMs: number;
}

/** A data point an app was told of in advance (`PUT /v1/apps/{id}/datapoints`), before its data shows it. */
export interface AppDataPoint {
  /** The v1 DataPoint type (`Event`, `EventAttribute`, `UserAttribute`...). */
  readonly type: string;
  readonly name: string;
  readonly attributeName: string | null;
  readonly eventType: string | null;
  readonly createdAtMs: number;
}

/** An app: a named group of app platform inputs in one workspace. */
export interface App {
  readonly id: number;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  readonly dataPoints: readonly AppDataPoint[];
  readonly createdAtMs: number;
  readonly modifiedAtMs: number;
}

export interface Tenant {
  orgId: number;
  accountId: number;
  workspaceId: WorkspaceId;
}

/**
 * Organisations, accounts, workspaces, apps, inputs and settings (part of the storage role
 * "state"; API clients and tokens are the access store's). `saveTenant` makes the account too when it is new, both with default names
 * (`Account 2`, `Workspace 3`); `createAccount` and `createWorkspace` name theirs.
 *
 * @example
 *   store.saveTenant({ orgId: 1, accountId: 1, workspaceId });
 *   const { account, workspace } = store.createAccount(1, 'Staging', 'Default', Date.now());
 *   const input = store.saveInput({ workspaceId, name: 'Server', apiKey, apiSecret, rateLimitPerSecond: 270, allowKeyOnly: false });
 */
export interface PlatformStore {
  saveTenant(tenant: Tenant): void;
  tenantOf(workspaceId: WorkspaceId): Tenant | undefined;
  /** An account's workspaces, by id. */
  workspacesOf(accountId: number): WorkspaceId[];
  /** Creates the input, or updates the one with the same `id` or, for a new one, the same name. */
  saveInput(input: Omit<Input, 'id'> & { id?: InputId }): Input;
  inputs(): Input[];
  setting(key: string): string | undefined;
  saveSetting(key: string, value: string): void;

  /** Deletes an input (an app platform); false when there was none. */
  deleteInput(id: InputId): boolean;

  account(id: number): Account | undefined;
  /** An organisation's accounts, by id. */
  accountsOf(orgId: number): Account[];
  /**
   * Makes an account of the organisation with one workspace, both with the next free ids (an
   * account's, a workspace's: one sequence each across organisations), in one transaction.
   */
  createAccount(orgId: number, name: string, workspaceName: string, nowMs: number): { account: Account; workspace: Workspace };
  renameAccount(id: number, name: string, nowMs: number): Account | undefined;
  /** Deletes the account and its workspaces (their inputs and apps must be gone); false when there was none. */
  deleteAccount(id: number): boolean;
  workspace(id: WorkspaceId): Workspace | undefined;
  /** A new workspace of the account, with the next free workspace id. */
  createWorkspace(accountId: number, name: string, nowMs: number): Workspace;

  /** Creates the app (no `id`) or replaces the one with that `id`. */
  saveApp(app: Omit<App, 'id'> & { id?: number }): App;
  app(id: number): App | undefined;
  /** The apps of these workspaces, by id. */
  appsIn(workspaces: readonly WorkspaceId[]): App[];
  /** False when there was none. */
  deleteApp(id: number): boolean;
  close(): void;
}
