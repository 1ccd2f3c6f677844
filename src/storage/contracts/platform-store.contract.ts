import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workspaceId } from '../../kernel/ids.ts';
import type { PlatformStore } from '../../platform/platform-store.ts';

/** The platform (state) store contract, run against every adapter. */
export function platformStoreContract(name: string, open: (location: string) => PlatformStore, newLocation: () => string) {
  describe(`PlatformStore contract: ${name}`, () => {
    let location: string;
    let store: PlatformStore;
    const ws = workspaceId(1);

    beforeEach(() => {
      location = newLocation();
      store = open(location);
      store.saveTenant({ orgId: 1, accountId: 2, workspaceId: ws });
    });
    afterEach(() => store.close());

    it('saves tenants and inputs, updating an input in place', () => {
      expect(store.tenantOf(ws)).toEqual({ orgId: 1, accountId: 2, workspaceId: ws });
      expect(store.tenantOf(workspaceId(9))).toBeUndefined();
      store.saveTenant({ orgId: 1, accountId: 2, workspaceId: workspaceId(7) });
      store.saveTenant({ orgId: 1, accountId: 3, workspaceId: workspaceId(5) });
      expect(store.workspacesOf(2)).toEqual([ws, workspaceId(7)]);
      expect(store.workspacesOf(4)).toEqual([]);
      const a = store.saveInput({ workspaceId: ws, name: 'web', apiKey: 'k1', apiSecret: 's1', rateLimitPerSecond: 270, allowKeyOnly: true });
      const b = store.saveInput({ workspaceId: ws, name: 'ios', apiKey: 'k2', apiSecret: 's2', rateLimitPerSecond: 0, allowKeyOnly: false });
      expect(a.id).not.toBe(b.id);
      store.saveInput({ ...a, apiSecret: 's1b' });
      store.saveInput({ workspaceId: ws, name: 'ios', apiKey: 'k2b', apiSecret: 's2b', rateLimitPerSecond: 5, allowKeyOnly: false });
      expect(store.inputs()).toEqual([
        { ...a, apiSecret: 's1b' },
        { id: b.id, workspaceId: ws, name: 'ios', apiKey: 'k2b', apiSecret: 's2b', rateLimitPerSecond: 5, allowKeyOnly: false },
      ]);
    });

    it('keeps a partner feed input\'s configuration with it, and updates it in place', () => {
      const feed = { moduleName: 'CleverTap', os: 'iOS', isDebug: true, settings: [{ name: 'x', value: null }], createdAtMs: 1000 };
      const saved = store.saveInput({ workspaceId: ws, name: 'CleverTap', apiKey: 'kf', apiSecret: 'sf', rateLimitPerSecond: 270, allowKeyOnly: false, feed });
      expect(store.inputs().find((i) => i.id === saved.id)).toEqual({ ...saved, feed });
      store.saveInput({ ...saved, feed: { ...feed, os: 'Android', isDebug: false } });
      expect(store.inputs().find((i) => i.id === saved.id)?.feed).toMatchObject({ os: 'Android', isDebug: false });
      // An app platform input has none.
      const plain = store.saveInput({ workspaceId: ws, name: 'server', apiKey: 'kp', apiSecret: 'sp', rateLimitPerSecond: 0, allowKeyOnly: false });
      expect(store.inputs().find((i) => i.id === plain.id)?.feed).toBeUndefined();
    });

    it('refuses two inputs with one API key', () => {
      store.saveInput({ workspaceId: ws, name: 'a', apiKey: 'same', apiSecret: 's', rateLimitPerSecond: 0, allowKeyOnly: false });
      expect(() => store.saveInput({ workspaceId: ws, name: 'b', apiKey: 'same', apiSecret: 's', rateLimitPerSecond: 0, allowKeyOnly: false })).toThrow();
    });

    it('keeps API clients, unexpired tokens and settings across a reopen', () => {
      store.saveApiClient({ clientId: 'c', clientSecret: 'x', orgId: 1 });
      store.saveToken('live', 'c', Date.now() + 60_000);
      store.saveToken('old', 'c', Date.now() - 1);
      store.saveSetting('k', 'v');
      store.close();
      store = open(location);
      expect(store.apiClient('c')).toEqual({ clientId: 'c', clientSecret: 'x', orgId: 1 });
      expect(store.apiClient('nope')).toBeUndefined();
      expect(store.tokenClient('live', Date.now())).toBe('c');
      expect(store.tokenClient('old', Date.now())).toBeUndefined();
      expect(store.tokenClient('live', Date.now() + 120_000)).toBeUndefined();
      expect(store.setting('k')).toBe('v');
      expect(store.setting('missing')).toBeUndefined();
    });
  });
}
