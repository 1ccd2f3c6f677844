import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Profile } from './profile.ts';

/**
 * Where profiles are kept (part of the storage role "state").
 *
 * Contract (`storage/contracts/profile-store.contract.ts`): `save` stores each profile,
 * replacing its previous version, all or nothing; `get` returns what was saved last.
 *
 * @example
 *   await store.save([profile]);
 *   const again = await store.get(profile.workspaceId, profile.mpid);
 */
export interface ProfileStore {
  get(workspaceId: WorkspaceId, mpid: Mpid): Promise<Profile | undefined>;
  save(profiles: readonly Profile[]): Promise<void>;
  /** Forget every profile, before a replay rebuilds them from the log. */
  clear(): Promise<void>;
  close(): Promise<void>;
}
