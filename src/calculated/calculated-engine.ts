import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { LogRecord } from '../model/envelope.ts';
import { AttributeRegistry } from './attribute-registry.ts';
import type { CalculatedStore, Calculation, RevisionState, UserCalculatedState } from './calculated-store.ts';
import type { ActiveAttribute } from './user-values.ts';

/** One user's live states as the engine holds them until they are written. */
interface LiveUser {
  workspaceId: WorkspaceId;
  mpid: Mpid;
  states: Map<number, RevisionState>;
  dirty: boolean;
}

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
  private adopting: Promise<void> = Promise.resolve();
  private readonly live = new Map<string, LiveUser>();
  /** Users' states as last read from the store (base states and seeds included). */
  private readonly stored = new Map<string, UserCalculatedState>();

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

  /** Reloads the definitions if they changed, and fixes the handover of every revision met for the first time. */
  async refresh(): Promise<void> {
    await this.registry.refresh();
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
    const handover = this.handovers.get(revisionKey(attribute));
    return handover !== undefined && record.offset > (handover[record.partition] ?? -1);
  }

  /** Reads the states of the users of these records from the store (their live states in hand are kept). */
  async load(records: readonly LogRecord[]): Promise<void> {
    const byWorkspace = new Map<WorkspaceId, Set<Mpid>>();
    for (const r of records) {
      if (this.registry.of(r.workspaceId).all.length === 0) continue;
      let users = byWorkspace.get(r.workspaceId);
      if (!users) byWorkspace.set(r.workspaceId, (users = new Set()));
      users.add(r.mpid);
    }
    for (const [ws, mpids] of byWorkspace) {
      const found = await this.store.users(ws, [...mpids]);
      for (const mpid of mpids) this.stored.set(userKey(ws, mpid), found.get(mpid) ?? { live: new Map(), base: new Map(), seeds: new Map() });
    }
  }

  /** A user's states: base and seeds as read, live as counted so far. */
  async user(ws: WorkspaceId, mpid: Mpid): Promise<{ stored: UserCalculatedState; live: LiveUser }> {
    const key = userKey(ws, mpid);
    let stored = this.stored.get(key);
    if (!stored) {
      stored = (await this.store.users(ws, [mpid])).get(mpid) ?? { live: new Map(), base: new Map(), seeds: new Map() };
      this.stored.set(key, stored);
    }
    let live = this.live.get(key);
    if (!live) this.live.set(key, (live = { workspaceId: ws, mpid, states: new Map(stored.live), dirty: false }));
    return { stored, live };
  }

  /** The users whose live states changed since the last write: taken for the stage's flush. */
  takeDirty(): LiveUser[] {
    const dirty = [...this.live.values()].filter((u) => u.dirty);
    for (const u of dirty) u.dirty = false;
    return dirty;
  }

  /** A write failed: these users are written with the next one. */
  putBack(users: readonly LiveUser[]): void {
    for (const u of users) u.dirty = true;
  }

  /** After a write: what is durable need not be held (the store has it; the next chunk reads it again). */
  forgetClean(): void {
    for (const [key, u] of this.live) {
      if (!u.dirty) {
        this.live.delete(key);
        this.stored.delete(key);
      }
    }
  }

  /** A replay starts from nothing: every revision is met again, with everything after the start of the log counted live. */
  reset(): void {
    this.handovers.clear();
    this.live.clear();
    this.stored.clear();
    this.adopting = Promise.resolve();
  }
}
