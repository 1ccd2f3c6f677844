import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Profile } from './profile.ts';

/**
 * Where profiles are kept (part of the storage role "state").
 *
 * Contract (`storage/contracts/profile-store.contract.ts`): `save` stores each profile,
 * replacing its previous version, all or nothing; `get` returns what was saved last; `eraseUsers`
 * removes some users' profiles, all or nothing, and nothing else.
 *
 * @example
 *   await store.save([profile]);
 *   const again = await store.get(profile.workspaceId, profile.mpid);
 */
export interface ProfileStore {
  get(workspaceId: WorkspaceId, mpid: Mpid): Promise<Profile | undefined>;
  save(profiles: readonly Profile[]): Promise<void>;
  /**
   * Erases some users of one workspace (the store's part of a GDPR erasure), all in one
   * transaction: each user's profile document (attributes, identities, consent, device and app
   * info: everything `get` returns). Answers how many profiles it removed (none for unknown
   * users). A profile the processor holds in memory and has not flushed yet is not this store's:
   * its owner must drop it too.
   */
  eraseUsers(workspaceId: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
  /** Forget every profile, before a replay rebuilds them from the log. */
  clear(): Promise<void>;
  close(): Promise<void>;
}
