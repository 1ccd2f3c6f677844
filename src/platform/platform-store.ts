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
}

/** An API client of the Platform and Profile APIs (OAuth client credentials). */
export interface ApiClient {
  clientId: string;
  clientSecret: string;
  orgId: number;
}

export interface Tenant {
  orgId: number;
  accountId: number;
  workspaceId: WorkspaceId;
}

/**
 * Organisations, inputs, API clients and tokens (part of the storage role "state").
 *
 * @example
 *   store.saveTenant({ orgId: 1, accountId: 1, workspaceId });
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
  saveApiClient(client: ApiClient): void;
  apiClient(clientId: string): ApiClient | undefined;
  saveToken(tokenHash: string, clientId: string, expiresAtMs: number): void;
  tokenClient(tokenHash: string, nowMs: number): string | undefined;
  setting(key: string): string | undefined;
  saveSetting(key: string, value: string): void;
  close(): void;
}
