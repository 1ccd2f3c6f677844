import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsentStore } from '../../consent/consent-store.ts';
import { DEFAULT_VALUES, type PrivacyValues } from '../../consent/privacy-settings.ts';
import { workspaceId } from '../../kernel/ids.ts';

const ws = workspaceId(1);
const other = workspaceId(2);
const changed: PrivacyValues = { gdprEnabled: true, ccpaEnabled: true, erasureWaitingPeriodDays: 3, gpc: { enabled: true, regulation: 'gdpr', purpose: 'targeting' } };

/** The consent store contract, run against every adapter. */
export function consentStoreContract(name: string, open: (location: string) => Promise<ConsentStore>, newLocation: () => string) {
  describe(`ConsentStore contract: ${name}`, () => {
    let location: string;
    let store: ConsentStore;

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('holds nothing at first', async () => {
      expect(await store.all()).toEqual([]);
    });

    it("keeps each workspace's values and purposes apart, the purposes in the order added", async () => {
      await store.saveValues(ws, changed, 1000);
      expect(await store.addPurpose(ws, { purpose: 'targeting', addedAtMs: 10, addedBy: 'client_id:a' })).toBe(true);
      expect(await store.addPurpose(ws, { purpose: 'analytics', addedAtMs: 20, addedBy: 'client_id:a' })).toBe(true);
      expect(await store.addPurpose(other, { purpose: 'marketing', addedAtMs: 5, addedBy: 'me@example.com' })).toBe(true);
      const all = await store.all();
      expect(all.find((s) => s.workspaceId === ws)).toEqual({
        workspaceId: ws,
        values: changed,
        updatedAtMs: 1000,
        purposes: [
          { purpose: 'targeting', addedAtMs: 10, addedBy: 'client_id:a' },
          { purpose: 'analytics', addedAtMs: 20, addedBy: 'client_id:a' },
        ],
      });
      // A workspace that only added a purpose has no values of its own (the defaults apply).
      expect(all.find((s) => s.workspaceId === other)).toEqual({ workspaceId: other, values: undefined, updatedAtMs: null, purposes: [{ purpose: 'marketing', addedAtMs: 5, addedBy: 'me@example.com' }] });
    });

    it('replaces values, keeps purposes through it, and refuses a purpose twice', async () => {
      await store.addPurpose(ws, { purpose: 'targeting', addedAtMs: 10, addedBy: 'x' });
      await store.saveValues(ws, changed, 1000);
      await store.saveValues(ws, DEFAULT_VALUES, 2000);
      expect(await store.addPurpose(ws, { purpose: 'targeting', addedAtMs: 30, addedBy: 'y' })).toBe(false);
      const [s] = await store.all();
      expect(s).toEqual({ workspaceId: ws, values: DEFAULT_VALUES, updatedAtMs: 2000, purposes: [{ purpose: 'targeting', addedAtMs: 10, addedBy: 'x' }] });
    });

    it('grows its revision with every write that changed something, and keeps all of it when opened again', async () => {
      const r0 = await store.revision();
      await store.saveValues(ws, changed, 1000);
      const r1 = await store.revision();
      await store.addPurpose(ws, { purpose: 'targeting', addedAtMs: 10, addedBy: 'x' });
      const r2 = await store.revision();
      await store.addPurpose(ws, { purpose: 'targeting', addedAtMs: 11, addedBy: 'x' });
      expect(r1).toBeGreaterThan(r0);
      expect(r2).toBeGreaterThan(r1);
      expect(await store.revision()).toBe(r2);
      const before = await store.all();
      await store.close();
      store = await open(location);
      expect(await store.all()).toEqual(before);
      expect(await store.revision()).toBe(r2);
    });
  });
}
