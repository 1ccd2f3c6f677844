import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Identities, IdentityType } from './identity-types.ts';
import type { StrategyName } from './strategy.ts';

/** The identity record of one profile: the identities IDSync can find it by. */
export interface IdentityRecord {
  workspaceId: WorkspaceId;
  mpid: Mpid;
  identities: Identities;
  createdAtMs: number;
  updatedAtMs: number;
}

export type IdentityOperation = 'identify' | 'login' | 'logout' | 'modify' | 'events' | 'alias';

/** Why IDSync did something: kept with every change so "why is this identity here?" has an answer. */
export interface IdentityReason {
  operation: IdentityOperation;
  strategy: StrategyName;
  source: 'identity_api' | 'events_api';
  requestId?: string | null;
  /** The identity the request was matched by, if it matched an existing profile. */
  matchedBy?: { type: IdentityType; value: string } | null;
  detail: string;
}

export type IdentityAction = 'created' | 'identity_added' | 'identity_changed' | 'identity_removed' | 'aliased' | 'merged';

/**
 * An alias request: copy the source profile's data between two times to the destination
 * profile. Kept from the moment it is accepted (`pending`) until it is applied (`completed`) or
 * refused by the aliasing rules (`rejected`, with why).
 */
export interface AliasRecord {
  id: string;
  workspaceId: WorkspaceId;
  sourceMpid: Mpid;
  destinationMpid: Mpid;
  startMs: number;
  endMs: number;
  requestedAtMs: number;
  dueAtMs: number;
  status: 'pending' | 'completed' | 'rejected';
  detail: string | null;
}

export interface IdentityEvent {
  workspaceId: WorkspaceId;
  mpid: Mpid;
  atMs: number;
  action: IdentityAction;
  type: IdentityType | null;
  value: string | null;
  previousValue: string | null;
  reason: IdentityReason;
}

/**
 * Where the identity graph is kept (part of the storage role "state"). IDSync answers from
 * memory; it loads every record at start and writes each change through before answering.
 *
 * Contract (`storage/contracts/identity-store.contract.ts`): `save` stores the records (each
 * replacing its previous version) and appends the events, all or nothing; `eraseUsers` removes
 * some users' records, history and alias requests, all or nothing, and nothing of anyone else.
 *
 * @example
 *   await store.save([record], [{ ...event, action: 'created' }]);
 *   const all = await store.loadAll();
 */
export interface IdentityStore {
  loadAll(): Promise<IdentityRecord[]>;
  save(records: readonly IdentityRecord[], events: readonly IdentityEvent[]): Promise<void>;
  history(workspaceId: WorkspaceId, mpid: Mpid): Promise<IdentityEvent[]>;
  /** Stores an alias request (replacing the one with the same id) and appends the events, all or nothing. */
  saveAlias(alias: AliasRecord, events: readonly IdentityEvent[]): Promise<void>;
  loadAliases(): Promise<AliasRecord[]>;
  /**
   * Erases some users of one workspace (the store's part of a GDPR erasure), all in one
   * transaction: each user's identity record (every identity value it holds), every history event
   * whose `mpid` is the user's (what `history` reads), and every alias request naming the user as
   * source or destination, whatever its status. Answers how many rows it removed (0 for unknown
   * users, and for none).
   *
   * Kept: other users' history events, even those whose detail names an erased MPID (`unique
   * identity moved to <mpid>`, `merged from <mpid>`): they are the other user's history, and the
   * MPID alone, once erased here, identifies no one. The in-memory graph is not changed: see
   * `IdentityGraph.eraseUsers`, which drops the users from memory and calls this.
   *
   * The MPIDs are remembered as erased (`erasedUsers`, not counted in the answer), in the same
   * transaction: IDSync never gives them again, nor takes them from a batch that names them.
   */
  eraseUsers(workspaceId: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
  /** Every MPID erased, by workspace (what `eraseUsers` remembered). */
  erasedUsers(): Promise<{ workspaceId: WorkspaceId; mpid: Mpid }[]>;
  close(): Promise<void>;
}
