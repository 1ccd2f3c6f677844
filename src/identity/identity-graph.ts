import { randomBytes } from 'node:crypto';
import { type Mpid, parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import type { IdentityEvent, IdentityOperation, IdentityReason, IdentityRecord, IdentityStore } from './identity-store.ts';
import type { Identities, IdentityType } from './identity-types.ts';
import type { IdentityStrategy } from './strategy.ts';

export interface IdSyncRequest {
  operation: Exclude<IdentityOperation, 'modify' | 'alias'>;
  source: IdentityReason['source'];
  known: Identities;
  previousMpid?: Mpid | undefined;
  requestId?: string | null;
}

export interface IdSyncResult {
  mpid: Mpid;
  /** The requested identities the returned profile already had. */
  matched: Identities;
  /** The request carried a login identity of the returned profile. */
  isLoggedIn: boolean;
  created: boolean;
}

export interface IdentityChangeRequest {
  type: IdentityType;
  oldValue: string | null;
  newValue: string | null;
}

export interface IdentityGraphDeps {
  store: IdentityStore;
  strategyFor: (workspaceId: WorkspaceId) => IdentityStrategy;
  now?: () => number;
}

const keyOf = (ws: WorkspaceId, type: IdentityType, value: string) => `${ws}\u0000${type}\u0000${value}`;
const recordKey = (ws: WorkspaceId, mpid: Mpid) => `${ws}\u0000${mpid}`;

/**
 * IDSync: resolves identities to one profile per person, in memory, writing every change to the
 * identity store before it answers. Each operation runs to its write without yielding, so two
 * concurrent requests can never both create a profile for the same new identity.
 * Strategy behaviour is documented in `identity/ARCHITECTURE.md`.
 */
export class IdentityGraph {
  private readonly records = new Map<string, IdentityRecord>();
  private readonly owners = new Map<string, Set<Mpid>>();
  private readonly now: () => number;

  private constructor(private readonly deps: IdentityGraphDeps) {
    this.now = deps.now ?? Date.now;
  }

  static async load(deps: IdentityGraphDeps): Promise<IdentityGraph> {
    const graph = new IdentityGraph(deps);
    for (const r of await deps.store.loadAll()) graph.put(r);
    return graph;
  }

  get size(): number {
    return this.records.size;
  }

  record(ws: WorkspaceId, mpid: Mpid): IdentityRecord | undefined {
    return this.records.get(recordKey(ws, mpid));
  }

  history(ws: WorkspaceId, mpid: Mpid): Promise<IdentityEvent[]> {
    return this.deps.store.history(ws, mpid);
  }

  /** Identify, login or logout: the matching profile, updated with the request's identities, or a new one. */
  resolve(ws: WorkspaceId, req: IdSyncRequest): Promise<IdSyncResult> {
    const strategy = this.deps.strategyFor(ws);
    const tx = new Transaction(this.now());
    const found = this.match(ws, req.known, strategy);
    const reason = (detail: string, matchedBy = found?.matchedBy ?? null): IdentityReason => ({
      operation: req.operation,
      strategy: strategy.name,
      source: req.source,
      requestId: req.requestId ?? null,
      matchedBy,
      detail,
    });
    let record: IdentityRecord;
    let created = false;
    let why = 'identity in the request';
    const previous = req.previousMpid && this.record(ws, req.previousMpid);
    if (found) {
      record = this.record(ws, found.mpid)!;
    } else if (req.operation === 'login' && previous && !this.hasLoginId(previous, strategy)) {
      record = previous;
      why = 'profile conversion: the anonymous previous profile became this known user';
    } else {
      record = this.create(ws, tx, reason('no profile matched the request'));
      created = true;
    }
    const matched = this.matchedOf(record, req.known);
    this.addIdentities(record, req.known, strategy, tx, reason(why));
    const isLoggedIn = [...strategy.loginIds].some((t) => req.known[t] !== undefined && record.identities[t] === req.known[t]);
    return this.commit(tx).then(() => ({ mpid: record.mpid, matched, isLoggedIn, created }));
  }

  /** Search: the matching profile, or undefined; changes nothing. */
  search(ws: WorkspaceId, known: Identities): { mpid: Mpid; matched: Identities } | undefined {
    const found = this.match(ws, known, this.deps.strategyFor(ws));
    if (!found) return undefined;
    return { mpid: found.mpid, matched: this.matchedOf(this.record(ws, found.mpid)!, known) };
  }

  /**
   * Makes sure a profile the client already knows (a batch's `mpid`) exists and carries the
   * batch's identities, without taking a login or unique identity it holds a different value of.
   */
  attach(ws: WorkspaceId, mpid: Mpid, known: Identities, source: IdentityReason['source']): Promise<void> {
    const strategy = this.deps.strategyFor(ws);
    const tx = new Transaction(this.now());
    const reason = (detail: string): IdentityReason => ({ operation: 'events', strategy: strategy.name, source, matchedBy: null, detail });
    let record = this.record(ws, mpid);
    if (!record) record = this.create(ws, tx, reason('a batch named this mpid'), mpid);
    const additions: Identities = {};
    for (const [type, value] of entries(known)) {
      const held = record.identities[type];
      if (held !== undefined && held !== value && (strategy.loginIds.has(type) || strategy.uniqueIds.has(type))) continue;
      additions[type] = value;
    }
    this.addIdentities(record, additions, strategy, tx, reason('identity in a batch for this mpid'));
    return this.commit(tx);
  }

  /** Modify: adds, changes or removes identities of an existing profile; never creates one. */
  modify(ws: WorkspaceId, mpid: Mpid, changes: readonly IdentityChangeRequest[], requestId: string | null): Promise<boolean> {
    const record = this.record(ws, mpid);
    if (!record) return Promise.resolve(false);
    const strategy = this.deps.strategyFor(ws);
    const tx = new Transaction(this.now());
    const reason: IdentityReason = { operation: 'modify', strategy: strategy.name, source: 'identity_api', requestId, matchedBy: null, detail: 'modify request' };
    for (const c of changes) {
      if (c.newValue === null) this.removeIdentity(record, c.type, tx, reason);
      else this.addIdentities(record, { [c.type]: c.newValue }, strategy, tx, reason);
    }
    return this.commit(tx).then(() => true);
  }

  private match(ws: WorkspaceId, known: Identities, strategy: IdentityStrategy): { mpid: Mpid; matchedBy: { type: IdentityType; value: string } } | undefined {
    let candidates: Mpid[] | undefined;
    let matchedBy: { type: IdentityType; value: string } | undefined;
    for (const type of strategy.priority) {
      const value = known[type];
      if (value === undefined) continue;
      const owners = this.owners.get(keyOf(ws, type, value));
      if (!owners) continue;
      let eligible = [...owners].filter((m) => this.eligible(this.record(ws, m)!, known, strategy));
      if (candidates) eligible = eligible.filter((m) => candidates!.includes(m));
      if (eligible.length === 0) continue;
      candidates = eligible;
      matchedBy ??= { type, value };
      if (candidates.length === 1) break;
    }
    if (!candidates || !matchedBy) return undefined;
    // Still a tie after every priority: the most recently updated profile.
    const best = candidates
      .map((m) => this.record(ws, m)!)
      .reduce((a, b) => (b.updatedAtMs > a.updatedAtMs ? b : a));
    return { mpid: best.mpid, matchedBy };
  }

  /** A profile holding a login identity is returned only to a request that matches one of them. */
  private eligible(record: IdentityRecord, known: Identities, strategy: IdentityStrategy): boolean {
    let protectedProfile = false;
    for (const t of strategy.loginIds) {
      const held = record.identities[t];
      if (held === undefined) continue;
      if (known[t] === held) return true;
      protectedProfile = true;
    }
    return !protectedProfile;
  }

  private hasLoginId(record: IdentityRecord, strategy: IdentityStrategy): boolean {
    return [...strategy.loginIds].some((t) => record.identities[t] !== undefined);
  }

  private matchedOf(record: IdentityRecord, known: Identities): Identities {
    const matched: Identities = {};
    for (const [type, value] of entries(known)) if (record.identities[type] === value) matched[type] = value;
    return matched;
  }

  private create(ws: WorkspaceId, tx: Transaction, reason: IdentityReason, mpid = this.newMpid(ws)): IdentityRecord {
    const record: IdentityRecord = { workspaceId: ws, mpid, identities: {}, createdAtMs: tx.at, updatedAtMs: tx.at };
    this.put(record);
    tx.note(record, reason, 'created');
    return record;
  }

  private addIdentities(record: IdentityRecord, ids: Identities, strategy: IdentityStrategy, tx: Transaction, reason: IdentityReason): void {
    for (const [type, value] of entries(ids)) {
      const previous = record.identities[type];
      if (previous === value) continue;
      if (strategy.uniqueIds.has(type)) {
        for (const other of [...(this.owners.get(keyOf(record.workspaceId, type, value)) ?? [])]) {
          if (other === record.mpid) continue;
          const otherRecord = this.record(record.workspaceId, other)!;
          this.removeIdentity(otherRecord, type, tx, { ...reason, detail: `unique identity moved to ${record.mpid}` });
        }
      }
      if (previous !== undefined) this.owners.get(keyOf(record.workspaceId, type, previous))?.delete(record.mpid);
      record.identities[type] = value;
      this.index(record.workspaceId, type, value, record.mpid);
      tx.note(record, reason, previous === undefined ? 'identity_added' : 'identity_changed', type, value, previous ?? null);
    }
  }

  private removeIdentity(record: IdentityRecord, type: IdentityType, tx: Transaction, reason: IdentityReason): void {
    const previous = record.identities[type];
    if (previous === undefined) return;
    delete record.identities[type];
    this.owners.get(keyOf(record.workspaceId, type, previous))?.delete(record.mpid);
    tx.note(record, reason, 'identity_removed', type, null, previous);
  }

  private put(record: IdentityRecord): void {
    this.records.set(recordKey(record.workspaceId, record.mpid), record);
    for (const [type, value] of entries(record.identities)) this.index(record.workspaceId, type, value, record.mpid);
  }

  private index(ws: WorkspaceId, type: IdentityType, value: string, mpid: Mpid): void {
    const key = keyOf(ws, type, value);
    let set = this.owners.get(key);
    if (!set) this.owners.set(key, (set = new Set()));
    set.add(mpid);
  }

  /** A random signed 64-bit id, unique in the workspace. */
  private newMpid(ws: WorkspaceId): Mpid {
    for (;;) {
      const mpid = parseMpid(randomBytes(8).readBigInt64BE(0));
      if (mpid && !this.records.has(recordKey(ws, mpid))) return mpid;
    }
  }

  private commit(tx: Transaction): Promise<void> {
    if (tx.events.length === 0) return Promise.resolve();
    for (const r of tx.records) r.updatedAtMs = tx.at;
    return this.deps.store.save([...tx.records], tx.events);
  }
}

/** What one IDSync operation changed: the records to write and the events that explain them. */
class Transaction {
  readonly records = new Set<IdentityRecord>();
  readonly events: IdentityEvent[] = [];
  constructor(readonly at: number) {}

  note(
    record: IdentityRecord,
    reason: IdentityReason,
    action: IdentityEvent['action'],
    type: IdentityType | null = null,
    value: string | null = null,
    previousValue: string | null = null,
  ): void {
    this.records.add(record);
    this.events.push({ workspaceId: record.workspaceId, mpid: record.mpid, atMs: this.at, action, type, value, previousValue, reason });
  }
}

function entries(ids: Identities): [IdentityType, string][] {
  return Object.entries(ids).filter((e): e is [IdentityType, string] => typeof e[1] === 'string' && e[1] !== '');
}
