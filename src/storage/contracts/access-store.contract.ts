import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessStore, ApiClient, User } from '../../access/access-store.ts';

/** The access (state) store contract, run against every adapter. */
export function accessStoreContract(name: string, open: (location: string) => AccessStore, newLocation: () => string) {
  describe(`AccessStore contract: ${name}`, () => {
    let location: string;
    let store: AccessStore;
    const client: Omit<ApiClient, 'id'> = {
      clientId: 'c1',
      secretHash: 'h1',
      name: 'One',
      orgId: 1,
      accountId: 1,
      workspaceIds: [1, 2],
      permissions: [{ api: 'platform', permission: 'admin' }],
      active: true,
      createdAtMs: 1000,
      modifiedAtMs: 1000,
    };
    const user: User = { email: 'a@example.com', firstName: 'A', lastName: 'B', orgId: 1, accountId: 1, roleId: 'admin-role', passwordHash: 'salt:hash', createdAtMs: 5 };

    beforeEach(() => {
      location = newLocation();
      store = open(location);
    });
    afterEach(() => store.close());

    it('keeps API clients: created with an id, replaced by it, listed by account, deleted with their tokens', () => {
      const saved = store.saveClient(client);
      const other = store.saveClient({ ...client, clientId: 'c2', accountId: 2, workspaceIds: null });
      expect(store.client('c1')).toEqual(saved);
      expect(store.clientById(other.id)).toEqual(other);
      store.saveClient({ ...saved, active: false, permissions: [] });
      expect(store.client('c1')).toMatchObject({ id: saved.id, active: false, permissions: [] });
      expect(store.clientsOf(1).map((c) => c.clientId)).toEqual(['c1']);
      expect(() => store.saveClient({ ...client })).toThrow();
      store.saveToken('t1', { kind: 'api_client', clientId: 'c1' }, Date.now() + 60_000);
      store.deleteClient(saved.id);
      expect(store.client('c1')).toBeUndefined();
      expect(store.tokenSubject('t1', Date.now())).toBeUndefined();
    });

    it('keeps users, by email and by role, and deletes them with their tokens', () => {
      store.saveUser(user);
      store.saveUser({ ...user, email: 'b@example.com', accountId: 2, roleId: 'custom' });
      expect(store.user('a@example.com')).toEqual(user);
      expect(store.usersOf(1)).toEqual([user]);
      expect(store.usersWithRole(1, 'custom').map((u) => u.email)).toEqual(['b@example.com']);
      store.saveUser({ ...user, roleId: 'read-only-role' });
      expect(store.user('a@example.com')?.roleId).toBe('read-only-role');
      store.saveToken('t2', { kind: 'user', email: 'a@example.com' }, Date.now() + 60_000);
      store.deleteUser('a@example.com');
      expect(store.user('a@example.com')).toBeUndefined();
      expect(store.tokenSubject('t2', Date.now())).toBeUndefined();
    });

    it('keeps role manifests and unexpired tokens across a reopen', () => {
      expect(store.roleManifest(1)).toEqual({ roles: [], lastModifiedMs: null, lastModifiedBy: null });
      const manifest = { roles: [{ role_id: 'm', name: 'M', description: '', tasks: [{ task_id: 'user:core' }] }], lastModifiedMs: 7, lastModifiedBy: 'x@example.com' };
      store.saveRoleManifest(1, manifest);
      store.saveToken('live', { kind: 'api_client', clientId: 'c1' }, Date.now() + 60_000);
      store.saveToken('old', { kind: 'user', email: 'a@example.com' }, Date.now() - 1);
      store.close();
      store = open(location);
      expect(store.roleManifest(1)).toEqual(manifest);
      expect(store.roleManifest(2).roles).toEqual([]);
      expect(store.tokenSubject('live', Date.now())).toEqual({ kind: 'api_client', clientId: 'c1' });
      expect(store.tokenSubject('old', Date.now())).toBeUndefined();
      store.deleteTokens({ kind: 'api_client', clientId: 'c1' });
      expect(store.tokenSubject('live', Date.now())).toBeUndefined();
    });
  });
}
