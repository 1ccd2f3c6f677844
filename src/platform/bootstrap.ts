import { randomBytes } from 'node:crypto';
import { workspaceId } from '../kernel/ids.ts';
import type { Input, PlatformStore, Tenant } from './platform-store.ts';

export interface BootstrapSettings {
  apiKey?: string;
  apiSecret?: string;
  clientId?: string;
  clientSecret?: string;
  rateLimitPerSecond: number;
  identityStrategy?: string;
}

/** The bootstrap API client's credentials (the access capability keeps the client: org-wide, admin on every API). */
export interface BootstrapClient {
  clientId: string;
  clientSecret: string;
  orgId: number;
}

export interface Bootstrapped {
  tenant: Tenant;
  input: Input;
  client: BootstrapClient;
  /** Which credentials this start generated (they are stored and reused by later starts). */
  generated: string[];
  /** The bootstrap workspace's IDSync strategy name. */
  identityStrategy: string;
}

const BOOTSTRAP_INPUT = 'Bootstrap input';

/** The platform setting that holds a workspace's IDSync strategy name. */
export const strategySettingOf = (workspaceId: number) => `workspace.${workspaceId}.identity_strategy`;
const token = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * The default tenant the first start creates: org, account and workspace 1 and an input that
 * serves every platform. Credentials come from the settings, else from an earlier start, else
 * they are generated once and stored.
 */
export function bootstrap(store: PlatformStore, s: BootstrapSettings): Bootstrapped {
  const tenant: Tenant = { orgId: 1, accountId: 1, workspaceId: workspaceId(1) };
  store.saveTenant(tenant);
  const generated: string[] = [];
  const value = (key: string, given: string | undefined, make: () => string) => {
    const v = given ?? store.setting(`bootstrap.${key}`) ?? (generated.push(key), make());
    store.saveSetting(`bootstrap.${key}`, v);
    return v;
  };
  const apiKey = value('api_key', s.apiKey, () => `qk_${token(12)}`);
  const apiSecret = value('api_secret', s.apiSecret, () => token(24));
  const clientId = value('client_id', s.clientId, () => `qc_${token(12)}`);
  const clientSecret = value('client_secret', s.clientSecret, () => token(24));
  const existing = store.inputs().find((i) => i.workspaceId === tenant.workspaceId && i.name === BOOTSTRAP_INPUT);
  const input = store.saveInput({
    ...(existing ? { id: existing.id } : {}),
    workspaceId: tenant.workspaceId,
    name: BOOTSTRAP_INPUT,
    apiKey,
    apiSecret,
    rateLimitPerSecond: s.rateLimitPerSecond,
    allowKeyOnly: true,
  });
  const client: BootstrapClient = { clientId, clientSecret, orgId: tenant.orgId };
  const identityStrategy = s.identityStrategy ?? store.setting(strategySettingOf(tenant.workspaceId)) ?? 'profile_conversion';
  store.saveSetting(strategySettingOf(tenant.workspaceId), identityStrategy);
  return { tenant, input, client, generated, identityStrategy };
}
