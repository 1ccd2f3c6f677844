import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Mpid, workspaceId } from '../../kernel/ids.ts';
import { newProfile } from '../../profiles/profile.ts';
import type { ProfileStore } from '../../profiles/profile-store.ts';

/** The profile store contract, run against every adapter. */
export function profileStoreContract(name: string, open: (location: string) => Promise<ProfileStore>, newLocation: () => string) {
  describe(`ProfileStore contract: ${name}`, () => {
    let location: string;
    let store: ProfileStore;
    const ws = workspaceId(1);
    const mpid = '-9223372036854775807' as Mpid;

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('saves profiles, replacing earlier versions, and keeps them across a reopen', async () => {
      const p = { ...newProfile(ws, mpid, 1000), userAttributes: { plan: 'gold', tags: ['a'] } };
      await store.save([p]);
      await store.save([{ ...p, userAttributes: { plan: 'silver' }, isOptedOut: true }]);
      await store.close();
      store = await open(location);
      expect(await store.get(ws, mpid)).toEqual({ ...p, userAttributes: { plan: 'silver' }, isOptedOut: true });
      expect(await store.get(workspaceId(2), mpid)).toBeUndefined();
      expect(await store.get(ws, '5' as Mpid)).toBeUndefined();
    });

    it("erases some users' profiles at once, and nothing of another user or of the same MPIDs in another workspace", async () => {
      const other = workspaceId(2);
      const [alsoGone, stays] = ['43' as Mpid, '42' as Mpid];
      await store.save([newProfile(ws, mpid, 1), newProfile(ws, alsoGone, 1), newProfile(ws, stays, 1), newProfile(other, mpid, 1), newProfile(other, alsoGone, 1)]);
      expect(await store.eraseUsers(ws, [mpid, '7' as Mpid, alsoGone])).toBe(2);
      expect(await store.get(ws, mpid)).toBeUndefined();
      expect(await store.get(ws, alsoGone)).toBeUndefined();
      expect(await store.get(ws, stays)).toEqual(newProfile(ws, stays, 1));
      expect(await store.get(other, mpid)).toEqual(newProfile(other, mpid, 1));
      expect(await store.get(other, alsoGone)).toEqual(newProfile(other, alsoGone, 1));
      await store.close();
      store = await open(location);
      expect(await store.get(ws, mpid)).toBeUndefined();
      expect(await store.eraseUsers(ws, [mpid, alsoGone])).toBe(0);
      expect(await store.eraseUsers(ws, [])).toBe(0);
    });

    it('clears every profile', async () => {
      await store.save([newProfile(ws, mpid, 1)]);
      await store.clear();
      expect(await store.get(ws, mpid)).toBeUndefined();
    });
  });
}
