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

    it('names accounts and workspaces: saveTenant gives new ones default names, createAccount and createWorkspace the next ids', () => {
      expect(store.account(2)).toMatchObject({ id: 2, orgId: 1, name: 'Account 2' });
      expect(store.workspace(ws)).toMatchObject({ workspaceId: ws, accountId: 2, orgId: 1, name: 'Workspace 1' });
      store.saveTenant({ orgId: 1, accountId: 2, workspaceId: workspaceId(4) });
      const { account, workspace } = store.createAccount(1, 'Staging', 'Default', 5000);
      expect(account).toEqual({ id: 3, orgId: 1, name: 'Staging', createdAtMs: 5000, modifiedAtMs: 5000 });
      expect(workspace).toEqual({ workspaceId: workspaceId(5), accountId: 3, orgId: 1, name: 'Default', createdAtMs: 5000, modifiedAtMs: 5000 });
      expect(store.createWorkspace(3, 'EU', 6000)).toMatchObject({ workspaceId: workspaceId(6), accountId: 3, name: 'EU' });
      expect(store.workspacesOf(3)).toEqual([workspaceId(5), workspaceId(6)]);
      expect(store.renameAccount(3, 'Production', 7000)).toEqual({ ...account, name: 'Production', modifiedAtMs: 7000 });
      expect(store.renameAccount(99, 'x', 7000)).toBeUndefined();
      store.createAccount(8, 'Other org', 'Default', 5000);
      expect(store.accountsOf(1).map((a) => a.id)).toEqual([2, 3]);
      expect(store.accountsOf(8).map((a) => a.name)).toEqual(['Other org']);
      // Saving a known tenant again keeps its name.
      store.saveTenant({ orgId: 1, accountId: 2, workspaceId: ws });
      expect(store.workspace(ws)?.name).toBe('Workspace 1');
      expect(store.deleteAccount(3)).toBe(true);
      expect(store.account(3)).toBeUndefined();
      expect(store.workspacesOf(3)).toEqual([]);
      expect(store.deleteAccount(3)).toBe(false);
    });

    it('keeps apps, and app platform inputs with their configuration; deletes both', () => {
      const point = { type: 'Event', name: 'Play', attributeName: null, eventType: 'media', createdAtMs: 1 };
      const app = store.saveApp({ workspaceId: ws, name: 'Shop', dataPoints: [], createdAtMs: 10, modifiedAtMs: 10 });
      expect(store.app(app.id)).toEqual(app);
      store.saveApp({ ...app, name: 'Store', dataPoints: [point], modifiedAtMs: 20 });
      expect(store.app(app.id)).toEqual({ ...app, name: 'Store', dataPoints: [point], modifiedAtMs: 20 });
      store.saveTenant({ orgId: 1, accountId: 2, workspaceId: workspaceId(7) });
      const other = store.saveApp({ workspaceId: workspaceId(7), name: 'Other', dataPoints: [], createdAtMs: 10, modifiedAtMs: 10 });
      expect(store.appsIn([ws]).map((a) => a.id)).toEqual([app.id]);
      expect(store.appsIn([ws, workspaceId(7)]).map((a) => a.id)).toEqual([app.id, other.id]);
      expect(store.appsIn([])).toEqual([]);
      const appPlatform = { appId: app.id, os: 'iOS', crashHandling: null, networkPerformance: null, socialMode: null, profileMerging: true, pushAttributionTimer: 30, createdAtMs: 10, modifiedAtMs: 10 };
      const input = store.saveInput({ workspaceId: ws, name: 'Store iOS', apiKey: 'ka', apiSecret: 'sa', rateLimitPerSecond: 0, allowKeyOnly: false, appPlatform });
      expect(store.inputs().find((i) => i.id === input.id)).toEqual({ ...input, appPlatform });
      expect(store.deleteInput(input.id)).toBe(true);
      expect(store.deleteInput(input.id)).toBe(false);
      expect(store.inputs().find((i) => i.id === input.id)).toBeUndefined();
      expect(store.deleteApp(app.id)).toBe(true);
      expect(store.app(app.id)).toBeUndefined();
      expect(store.deleteApp(app.id)).toBe(false);
    });

    it('refuses two inputs with one API key', () => {
      store.saveInput({ workspaceId: ws, name: 'a', apiKey: 'same', apiSecret: 's', rateLimitPerSecond: 0, allowKeyOnly: false });
      expect(() => store.saveInput({ workspaceId: ws, name: 'b', apiKey: 'same', apiSecret: 's', rateLimitPerSecond: 0, allowKeyOnly: false })).toThrow();
    });

    it('keeps settings across a reopen', () => {
      store.saveSetting('k', 'v');
      store.close();
      store = open(location);
      expect(store.setting('k')).toBe('v');
      expect(store.setting('missing')).toBeUndefined();
    });
  });
}
