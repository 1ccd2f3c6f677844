import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Handover } from '../model/handover.ts';
import type { Definition } from './definition.ts';
import type { AttributeState } from './windows.ts';

/** A calculated attribute as the Platform API keeps it (mParticle's field names). */
export interface CalculatedAttribute {
  id: number;
  workspaceId: WorkspaceId;
  name: string;
  description: string | null;
  created_on: string;
  created_by: string;
  last_modified_on: string | null;
  last_modified_by: string | null;
  draft_definition: Definition | null;
  active_definition: Definition | null;
  activated_on: string | null;
  activated_by: string | null;
  /**
   * Grows at each activation. What is computed (from history, from live events) belongs to one
   * revision: a new activation starts again, so a changed definition never mixes with the old.
   */
  revision: number;
}

/**
 * How far an activated revision's computation has come. The processor writes it: when it first
 * counts the revision it fixes `handover`, per partition the last log offset it had run; events
 * at or below are computed from the event store (`base` states), later ones as they are
 * processed (`live` states), so none is counted twice or missed.
 */
export interface Calculation {
  workspaceId: WorkspaceId;
  id: number;
  revision: number;
  handover: Handover;
  status: 'calculating' | 'calculated';
  /** Users whose state from history is stored, of `usersTotal` (null until the scan has counted them). */
  usersDone: number;
  usersTotal: number | null;
  /** The last user whose state from history is stored: a computation resumes after it. */
  cursor: Mpid | null;
  startedAtMs: number;
  completedAtMs: number | null;
}

/** A state of one revision of one attribute. */
export interface RevisionState {
  revision: number;
  state: AttributeState;
}

/** What one user has of every calculated attribute, by attribute id. */
export interface UserCalculatedState {
  /** Counted from events as they were processed. */
  live: Map<number, RevisionState>;
  /** Computed from the event store at activation. */
  base: Map<number, RevisionState>;
  /** Sent through the Seeding API (not tied to a revision: a seed holds until replaced). */
  seeds: Map<number, AttributeState>;
}

/** One user's live state of one attribute. */
export interface LiveState extends RevisionState {
  workspaceId: WorkspaceId;
  mpid: Mpid;
  id: number;
}

/** What the processor's calculated-attributes stage makes durable (one transaction). */
export interface CalculatedFlush {
  /** The live states that changed since the last flush: each replaces what the store held of its user and attribute. */
  live: readonly LiveState[];
  /** Per partition, the last log offset counted (`CountedOffsets`). */
  offsets: ReadonlyMap<number, number>;
}

/**
 * Calculated attributes: their definitions (written by the Platform API), the processor's
 * computations and every user's states (part of the storage role "state").
 *
 * Contract (`storage/contracts/calculated-store.contract.ts`):
 * - names are unique per workspace, case-insensitively; `create` and `update` answer
 *   `'name-taken'` and store nothing otherwise;
 * - `revision()` grows with every write of a definition (create, update, delete), through any
 *   connection: what a reader elsewhere refreshes its definitions by;
 * - `delete` removes the attribute with its computations, live and base states and seeds;
 * - `record` writes a flush all or nothing; `appliedOffsets` reads back its offsets;
 * - `putBase` writes base states and the computation's progress all or nothing, replacing the
 *   users' base states of that revision;
 * - `eraseUsers` removes some users' live and base states and seeds, of every attribute, all or
 *   nothing, bumping `seedRevision` when a seed went;
 * - `reset` forgets everything derived from the log (live and base states, computations, offsets).
 *
 * @example
 *   const created = await store.create(ws, { name: 'purchases', ... });
 *   const users = await store.users(ws, [mpid]);
 */
export interface CalculatedStore {
  create(ws: WorkspaceId, attribute: Omit<CalculatedAttribute, 'id' | 'workspaceId'>): Promise<CalculatedAttribute | 'name-taken'>;
  get(ws: WorkspaceId, id: number): Promise<CalculatedAttribute | undefined>;
  list(ws: WorkspaceId): Promise<CalculatedAttribute[]>;
  /** Every workspace's attributes with an active definition: what the processor computes. */
  active(): Promise<CalculatedAttribute[]>;
  update(attribute: CalculatedAttribute): Promise<boolean | 'name-taken'>;
  delete(ws: WorkspaceId, id: number): Promise<boolean>;
  revision(): Promise<number>;

  calculation(ws: WorkspaceId, id: number, revision: number): Promise<Calculation | undefined>;
  putCalculation(calculation: Calculation): Promise<void>;

  /** Each user's states (users without any are left out). */
  users(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<Map<Mpid, UserCalculatedState>>;
  /**
   * Writes live states and counted offsets in one transaction. The states are read (serialised)
   * before the call returns its promise: the stage goes on changing them in place (`observeInto`).
   */
  record(flush: CalculatedFlush): Promise<void>;
  appliedOffsets(): Promise<Map<number, number>>;
  putBase(progress: Calculation, states: readonly { mpid: Mpid; state: AttributeState }[]): Promise<void>;
  /** Seeds replace the user's earlier seed of the same attribute. */
  putSeeds(ws: WorkspaceId, seeds: readonly { id: number; mpid: Mpid; state: AttributeState }[]): Promise<void>;
  /** Forgets every seed of an attribute (its name, calculation type or cutoff changed). */
  deleteSeeds(ws: WorkspaceId, id: number): Promise<void>;
  /** Grows with every seed written or deleted: what a cache of users' states refreshes its seeds by. */
  seedRevision(): Promise<number>;
  /**
   * Erases some users of one workspace (the store's part of a GDPR erasure), all in one
   * transaction: each user's live states (counted from events: daily buckets, first/last
   * values...) and base states (computed from the event store) of every attribute and revision,
   * and the user's seeds (bumping {@link seedRevision} if there were any, so caches drop them).
   * Answers how many rows it removed (0 for unknown users).
   *
   * Kept: definitions, computations' progress (counts, and a `cursor` that may be an erased MPID:
   * a place to resume a scan at, which holds nothing of the user) and offsets. The users' values
   * as analytics keeps them are the event store's (`EventStore`'s `calculated_values`); states a
   * running stage holds in memory are its own to drop.
   */
  eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
  reset(): Promise<void>;
  close(): Promise<void>;
}
