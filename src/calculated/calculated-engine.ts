import type { CalculatedValueRow } from '../analytics/event-store.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { LogRecord } from '../model/envelope.ts';
import { AttributeRegistry } from './attribute-registry.ts';
import type { CalculatedStore, Calculation, UserCalculatedState } from './calculated-store.ts';
import type { CurrentValues } from './current-values.ts';
import { type ActiveAttribute, valuesRow } from './user-values.ts';

/**
 * One user's states as the engine holds them: as read from the store, with the live states
 * counted since (`dirty`: the attributes whose live state is not written yet), and its current
 * values as the stage last computed them (`values`, with `unvalued`: the attributes whose state
 * changed since).
 */
export interface CachedUser {
  readonly workspaceId: WorkspaceId;
  readonly mpid: Mpid;
  readonly state: UserCalculatedState;
  readonly dirty: Set<number>;
  values: CurrentValues | undefined;
  readonly unvalued: Set<number>;
  /** Grows whenever its states change (counted, read again): values handed out before are stale. */
  changes: number;
  /** Its base states or seeds changed in the store: read them again before the next use. */
  stale: boolean;
}

/** Users held in memory at most (clean ones beyond are dropped, oldest first, after each write). */
const USERS_HELD = 100_000;

const userKey = (ws: WorkspaceId, mpid: Mpid) => `${ws}\u0000${mpid}`;
const revisionKey = (a: ActiveAttribute) => `${a.workspaceId}\u0000${a.id}\u0000${a.revision}`;

/**
 * What the processor knows of calculated attributes between its stage and the activation job
 * (both on the processor thread): the active definitions, each revision's handover, and users'
 * states in hand.
 *
 * The handover makes activation exact. When the engine first meets an active revision it fixes,
 * for every partition, the last log offset the stage has run; from then on the stage counts the
 * revision only for records past that offset, and the activation job computes it from the event
 * store's events at or before it. The two never overlap and leave nothing out, whatever the
 * partitions are doing at that moment; the handover is stored before any count of the revision
 * is (the stage's flush waits for it), so a crash can only lose both.
 */
export class CalculatedEngine {
  readonly registry: AttributeRegistry;
  private readonly lastRun = new Map<number, number>();
  private readonly handovers = new Map<string, Readonly<Record<number, number>>>();
  /** The same, by attribute object (no key to build on the hot path); filled by `counts`. */
  private handoverOf = new WeakMap<ActiveAttribute, Readonly<Record<number, number>> | undefined>();
  private adopting: Promise<void> = Promise.resolve();
  /** Users by key, least recently used first (a `Map` keeps insertion order; a use re-inserts). */
  private readonly users = new Map<string, CachedUser>();
  private seedRevision: number | undefined;
  /** Held users with live states not yet written. */
  private dirtyUsers = 0;

  constructor(
    private readonly store: CalculatedStore,
    private readonly now: () => number = Date.now,
  ) {
    this.registry = new AttributeRegistry(store);
  }

  /** A partition's committed offset at start: the last record run, until records run. */
  recovered(partition: number, committed: number): void {
    this.lastRun.set(partition, committed);
  }

  /** A record has run through the stage. */
  ran(record: LogRecord): void {
    this.lastRun.set(record.partition, record.offset);
  }

  /**
   * Reloads the definitions if they changed, and fixes the handover of every revision met for
   * the first time; with `adopt: false` (while partitions are still recovering, when `lastRun` is
   * not yet every partition's) only the handovers already stored are learnt.
   */
  async refresh(options: { adopt?: boolean } = {}): Promise<void> {
    await this.registry.refresh();
    // Seeds are written on the app thread: users' seeds are read again when any changed.
    const seeds = await this.store.seedRevision();
    if (seeds !== this.seedRevision) {
      if (this.seedRevision !== undefined) this.dropClean();
      this.seedRevision = seeds;
    }
    for (const attribute of this.registry.all()) {
      const key = revisionKey(attribute);
      if (this.handovers.has(key)) continue;
      const stored = await this.store.calculation(attribute.workspaceId, attribute.id, attribute.revision);
      // Another turn of this loop (or a partition) may have fixed it meanwhile.
      if (this.handovers.has(key)) continue;
      if (stored) {
        this.handovers.set(key, stored.handover);
        continue;
      }
      if (options.adopt === false) continue;
      // No await between the snapshot and setting it: records run later are past it.
      const handover = Object.fromEntries(this.lastRun);
      this.handovers.set(key, handover);
      const calculation: Calculation = {
        workspaceId: attribute.workspaceId,
        id: attribute.id,
        revision: attribute.revision,
        handover,
        status: 'calculating',
        usersDone: 0,
        usersTotal: null,
        cursor: null,
        startedAtMs: this.now(),
        completedAtMs: null,
      };
      this.adopting = this.adopting.then(() => this.store.putCalculation(calculation));
    }
  }

  /** Resolves once every handover fixed so far is stored (a flush waits for it before it writes counts). */
  adopted(): Promise<void> {
    return this.adopting;
  }

  /** Whether the stage counts `attribute` for `record` (the record is past the revision's handover). */
  counts(attribute: ActiveAttribute, record: LogRecord): boolean {
    let handover = this.handoverOf.get(attribute);
    if (handover === undefined) {
      handover = this.handovers.get(revisionKey(attribute));
      if (handover !== undefined) this.handoverOf.set(attribute, handover);
    }
    return handover !== undefined && record.offset > (handover[record.partition] ?? -1);
  }

  /** Reads the states of the users of these records that are not held yet, in one read per workspace. */
  async load(records: readonly LogRecord[]): Promise<void> {
    const missing = new Map<WorkspaceId, Set<Mpid>>();
    for (const r of records) {
      if (this.registry.of(r.workspaceId).all.length === 0 || this.users.get(userKey(r.workspaceId, r.mpid))?.stale === false) continue;
      let mpids = missing.get(r.workspaceId);
      if (!mpids) missing.set(r.workspaceId, (mpids = new Set()));
      mpids.add(r.mpid);
    }
    for (const [ws, mpids] of missing) {
      const found = await this.store.users(ws, [...mpids]);
      for (const mpid of mpids) this.hold(ws, mpid, found.get(mpid));
    }
  }

  /** A user's states (read from the store if not held). */
  async user(ws: WorkspaceId, mpid: Mpid): Promise<CachedUser> {
    const key = userKey(ws, mpid);
    const held = this.users.get(key);
    if (held && !held.stale) {
      this.users.delete(key);
      this.users.set(key, held);
      return held;
    }
    return this.hold(ws, mpid, (await this.store.users(ws, [mpid])).get(mpid));
  }

  /**
   * These users' states as the stage sees them now (its own where it holds them, read again where
   * they are stale, else the store's), without holding the users it does not hold: what the
   * activation's values are computed from.
   */
  async statesOf(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<Map<Mpid, UserCalculatedState | undefined>> {
    const states = new Map<Mpid, UserCalculatedState | undefined>();
    const read: Mpid[] = [];
    for (const mpid of mpids) {
      const held = this.users.get(userKey(ws, mpid));
      if (held && !held.stale) states.set(mpid, held.state);
      else read.push(mpid);
    }
    const found = read.length === 0 ? new Map<Mpid, UserCalculatedState>() : await this.store.users(ws, read);
    for (const mpid of read) {
      // Held meanwhile, or stale: the stage's live states win over the store's (`hold`).
      const held = this.users.get(userKey(ws, mpid));
      states.set(mpid, held ? (held.stale ? this.hold(ws, mpid, found.get(mpid)).state : held.state) : found.get(mpid));
    }
    return states;
  }

  /** The event store's rows of these users' values of the workspace's active attributes at `at` (see `EventStore.putCalculatedValues`). */
  valueRows(ws: WorkspaceId, users: ReadonlyMap<Mpid, UserCalculatedState | undefined>, at: number): CalculatedValueRow[] {
    const attributes = this.registry.of(ws).all;
    return [...users].map(([mpid, user]) => valuesRow(attributes, ws, mpid, user, at));
  }

  /** Someone else wrote these users' states (the activation job, their base states): read them again when next needed. */
  forget(ws: WorkspaceId, mpids: readonly Mpid[]): void {
    for (const mpid of mpids) {
      const key = userKey(ws, mpid);
      const held = this.users.get(key);
      if (!held) continue;
      if (held.dirty.size === 0) this.users.delete(key);
      else held.stale = true;
    }
  }

  /** Drops these users from memory, live states not yet written included (an erasure: their stored states go too). */
  erase(ws: WorkspaceId, mpids: readonly Mpid[]): void {
    for (const mpid of mpids) {
      const key = userKey(ws, mpid);
      const held = this.users.get(key);
      if (!held) continue;
      if (held.dirty.size > 0) this.dirtyUsers -= 1;
      this.users.delete(key);
    }
  }

  /** The user's live state of the attribute changed: it is written with the next write. */
  changed(user: CachedUser, id: number): void {
    if (user.dirty.size === 0) this.dirtyUsers += 1;
    user.dirty.add(id);
  }

  /** How many held users have live states not yet written. */
  get changedUsers(): number {
    return this.dirtyUsers;
  }

  /** The users with live states not yet written, and those attributes: taken for the stage's flush. */
  takeDirty(): { user: CachedUser; ids: number[] }[] {
    const taken: { user: CachedUser; ids: number[] }[] = [];
    for (const user of this.users.values()) {
      if (user.dirty.size === 0) continue;
      taken.push({ user, ids: [...user.dirty] });
      user.dirty.clear();
    }
    this.dirtyUsers = 0;
    return taken;
  }

  /** A write failed: these are written with the next one. */
  putBack(taken: readonly { user: CachedUser; ids: number[] }[]): void {
    for (const { user, ids } of taken) for (const id of ids) this.changed(user, id);
  }

  /** After a write: keeps at most {@link USERS_HELD} users, dropping the least recently used clean ones. */
  trim(): void {
    for (const [key, user] of this.users) {
      if (this.users.size <= USERS_HELD) return;
      if (user.dirty.size === 0) this.users.delete(key);
    }
  }

  /**
   * Holds what was read of a user. A user held already is updated in place (a flush in flight
   * holds it): its live states not yet written win over the store's.
   */
  private hold(ws: WorkspaceId, mpid: Mpid, read: UserCalculatedState | undefined): CachedUser {
    const key = userKey(ws, mpid);
    const state = read ?? { live: new Map(), base: new Map(), seeds: new Map() };
    const held = this.users.get(key);
    if (!held) {
      const user: CachedUser = { workspaceId: ws, mpid, state, dirty: new Set(), values: undefined, unvalued: new Set(), changes: 0, stale: false };
      this.users.set(key, user);
      return user;
    }
    for (const [id, live] of held.state.live) if (held.dirty.has(id) || !state.live.has(id)) state.live.set(id, live);
    Object.assign(held.state, state);
    held.values = undefined;
    held.unvalued.clear();
    held.changes += 1;
    held.stale = false;
    this.users.delete(key);
    this.users.set(key, held);
    return held;
  }

  private dropClean(): void {
    for (const [key, user] of this.users) {
      if (user.dirty.size === 0) this.users.delete(key);
      else user.stale = true;
    }
  }

  /** A replay starts from nothing: every revision is met again, with everything after the start of the log counted live. */
  reset(): void {
    this.handovers.clear();
    this.handoverOf = new WeakMap();
    this.users.clear();
    this.dirtyUsers = 0;
    this.adopting = Promise.resolve();
  }
}
