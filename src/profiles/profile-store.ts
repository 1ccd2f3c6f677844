import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Profile } from './profile.ts';

/**
 * Where profiles are kept (part of the storage role "state").
 *
 * Contract (`storage/contracts/profile-store.contract.ts`): `save` stores each profile,
 * replacing its previous version, all or nothing; `get` returns what was saved last; `eraseUser`
 * removes one user's profile and nothing else.
 *
 * @example
 *   await store.save([profile]);
 *   const again = await store.get(profile.workspaceId, profile.mpid);
 */
export interface ProfileStore {
  get(workspaceId: WorkspaceId, mpid: Mpid): Promise<Profile | undefined>;
  save(profiles: readonly Profile[]): Promise<void>;
  /**
   * Erases one user of one workspace (the store's part of a GDPR erasure): the user's profile
   * document (attributes, identities, consent, device and app info: everything `get` returns).
   * Answers how many profiles it removed (0 or 1). A profile the processor holds in memory and
   * has not flushed yet is not this store's: its owner must drop it too.
   */
  eraseUser(workspaceId: WorkspaceId, mpid: Mpid): Promise<number>;
  /** Forget every profile, before a replay rebuilds them from the log. */
  clear(): Promise<void>;
  close(): Promise<void>;
}
