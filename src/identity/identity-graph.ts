import { randomBytes } from 'node:crypto';
import { type Mpid, parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import type { IdentityEvent, IdentityOperation, IdentityReason, IdentityRecord, IdentityStore } from './identity-store.ts';
import type { Identities, IdentityType } from './identity-types.ts';
import type { IdentityStrategy } from './strategy.ts';
import { hasLoginId, rulesOf, type StrategyRules } from './strategy-rules.ts';

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
  /**
   * Profile link only: the profile was created for a new known user who was anonymous as this
   * `previous_mpid` (the guide's "Source"); an alias request may carry its data over.
   */
  anonymousSource?: Mpid;
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
type Match = { mpid: Mpid; matchedBy: { type: IdentityType; value: string } };

/**
 * IDSync: resolves identities to one profile per person, in memory, writing every change to the
 * identity store before it answers. Each operation runs to its write without yielding, so two
 * concurrent requests can never both create a profile for the same new identity.
 * Strategy behaviour is documented in `identity/ARCHITECTURE.md`.
 */
export class IdentityGraph {
  private readonly records = new Map<string, IdentityRecord>();
  /** Who holds each identity value: one MPID (the usual case, kept bare to save memory) or several. */
  private readonly owners = new Map<string, Mpid | Set<Mpid>>();
  /** Best match: values a profile had before its current one, still lookups, oldest first (per record key). */
  private readonly earlier = new Map<string, Map<IdentityType, string[]>>();
  /** Erased users (by record key): their MPIDs are never given again, nor taken from a batch. */
  private readonly erased = new Set<string>();
  private readonly now: () => number;

  private constructor(private readonly deps: IdentityGraphDeps) {
    this.now = deps.now ?? Date.now;
  }

  static async load(deps: IdentityGraphDeps): Promise<IdentityGraph> {
    const graph = new IdentityGraph(deps);
    const records = await deps.store.loadAll();
    for (const r of records) graph.put(r);
    for (const u of await deps.store.erasedUsers()) graph.erased.add(recordKey(u.workspaceId, u.mpid));
    // A record keeps only the current value of each type; earlier lookups are rebuilt from the history.
    for (const r of records) {
      if (rulesOf(deps.strategyFor(r.workspaceId)).keepsEveryValue) graph.restoreEarlier(r, await deps.store.history(r.workspaceId, r.mpid));
    }
    return graph;
  }

  get size(): number {
    return this.records.size;
  }

  /** Whether the user was erased: a batch naming this MPID is then resolved by its identities, as a new user. */
  isErased(ws: WorkspaceId, mpid: Mpid): boolean {
    return this.erased.has(recordKey(ws, mpid));
  }

  record(ws: WorkspaceId, mpid: Mpid): IdentityRecord | undefined {
    return this.records.get(recordKey(ws, mpid));
  }

  history(ws: WorkspaceId, mpid: Mpid): Promise<IdentityEvent[]> {
    return this.deps.store.history(ws, mpid);
  }

  /** Identify, login or logout: the matching profile, updated with the request's identities, or a new one. */
  resolve(ws: WorkspaceId, req: IdSyncRequest): Promise<IdSyncResult> {
    const c = this.choose(ws, req);
    const tx = new Transaction(this.now());
    const record = c.existing ?? this.create(ws, tx, c.reason(c.detail));
    const matched = this.matchedOf(record, req.known);
    this.addIdentities(record, req.known, c.rules, tx, c.reason(c.why), c.rules.keepsEveryValue);
    const isLoggedIn = [...c.rules.loginIds].some((t) => req.known[t] !== undefined && record.identities[t] === req.known[t]);
    const result: IdSyncResult = { mpid: record.mpid, matched, isLoggedIn, created: !c.existing };
    if (c.anonymousSource) result.anonymousSource = c.anonymousSource;
    return this.commit(tx).then(() => result);
  }

  /**
   * What `resolve` would answer, changing nothing (the Identity API's `read_only`, for
   * debugging). A user it would create gets an MPID that is not kept.
   */
  preview(ws: WorkspaceId, req: IdSyncRequest): IdSyncResult {
    const c = this.choose(ws, req);
    const result: IdSyncResult = {
      mpid: c.existing?.mpid ?? this.newMpid(ws),
      matched: c.existing ? this.matchedOf(c.existing, req.known) : {},
      // `resolve` gives the profile every requested identity, so a requested login id is the profile's.
      isLoggedIn: [...c.rules.loginIds].some((t) => req.known[t] !== undefined),
      created: !c.existing,
    };
    if (c.anonymousSource) result.anonymousSource = c.anonymousSource;
    return result;
  }

  /** Which profile an IDSync request lands on (an existing one, or a new one), and why. Changes nothing. */
  private choose(ws: WorkspaceId, req: IdSyncRequest) {
    const strategy = this.deps.strategyFor(ws);
    const rules = rulesOf(strategy);
    // Profile link: every logout gets a new anonymous profile, so nothing is looked up.
    const freshLogout = req.operation === 'logout' && rules.onLogout === 'create_anonymous_profile';
    const found = freshLogout ? undefined : this.match(ws, req.known, strategy.priority, rules);
    const reason = (detail: string, matchedBy = found?.matchedBy ?? null): IdentityReason => ({
      operation: req.operation,
      strategy: strategy.name,
      source: req.source,
      requestId: req.requestId ?? null,
      matchedBy,
      detail,
    });
    const previous = req.previousMpid && this.record(ws, req.previousMpid);
    const anonymousPrevious = previous && !hasLoginId(previous.identities, rules) ? previous : undefined;
    const newKnownUser = !found && hasLoginId(req.known, rules);
    const chosen = { rules, reason, why: 'identity in the request', detail: 'no profile matched the request', anonymousSource: undefined as Mpid | undefined };
    if (found) return { ...chosen, existing: this.record(ws, found.mpid)! };
    if (req.operation === 'login' && anonymousPrevious && rules.onNewKnownUser === 'add_to_anonymous_profile') {
      return { ...chosen, existing: anonymousPrevious, why: 'profile conversion: the anonymous previous profile became this known user' };
    }
    const anonymousSource = newKnownUser && rules.namesAliasSource && anonymousPrevious ? anonymousPrevious.mpid : undefined;
    let detail = chosen.detail;
    if (freshLogout) detail = `${strategy.name}: every logout gets a new anonymous profile`;
    else if (newKnownUser && rules.onNewKnownUser === 'create_profile') {
      detail = `${strategy.name}: a new known user gets a new profile${anonymousSource ? `; alias source ${anonymousSource}` : ''}`;
    }
    return { ...chosen, existing: undefined, detail, anonymousSource };
  }

  /** Search: the matching profile, or undefined; changes nothing. */
  search(ws: WorkspaceId, known: Identities): { mpid: Mpid; matched: Identities } | undefined {
    const strategy = this.deps.strategyFor(ws);
    const found = this.match(ws, known, strategy.priority, rulesOf(strategy));
    if (!found) return undefined;
    return { mpid: found.mpid, matched: this.matchedOf(this.record(ws, found.mpid)!, known) };
  }

  /**
   * Makes sure a profile the client already knows (a batch's `mpid`) exists and carries the
   * batch's identities, without taking a login or unique identity it holds a different value of.
   */
  attach(ws: WorkspaceId, mpid: Mpid, known: Identities, source: IdentityReason['source']): Promise<void> {
    const strategy = this.deps.strategyFor(ws);
    const rules = rulesOf(strategy);
    const tx = new Transaction(this.now());
    const reason = (detail: string): IdentityReason => ({ operation: 'events', strategy: strategy.name, source, matchedBy: null, detail });
    let record = this.record(ws, mpid);
    if (!record) record = this.create(ws, tx, reason('a batch named this mpid'), mpid);
    const additions: Identities = {};
    for (const [type, value] of entries(known)) {
      const held = record.identities[type];
      if (held !== undefined && held !== value && (rules.loginIds.has(type) || rules.uniqueIds.has(type))) continue;
      additions[type] = value;
    }
    this.addIdentities(record, additions, rules, tx, reason('identity in a batch for this mpid'), rules.keepsEveryValue);
    return this.commit(tx);
  }

  /** Modify: adds, changes or removes identities of an existing profile; never creates one. */
  modify(ws: WorkspaceId, mpid: Mpid, changes: readonly IdentityChangeRequest[], requestId: string | null): Promise<boolean> {
    const record = this.record(ws, mpid);
    if (!record) return Promise.resolve(false);
    const strategy = this.deps.strategyFor(ws);
    const tx = new Transaction(this.now());
    const reason: IdentityReason = { operation: 'modify', strategy: strategy.name, source: 'identity_api', requestId, matchedBy: null, detail: 'modify request' };
    for (const c of changes) this.change(record, c, rulesOf(strategy), tx, reason);
    return this.commit(tx).then(() => true);
  }

  private match(ws: WorkspaceId, known: Identities, priority: readonly IdentityType[], rules: StrategyRules): Match | undefined {
    let candidates: Mpid[] | undefined;
    let matchedBy: Match['matchedBy'] | undefined;
    for (const type of priority) {
      const value = known[type];
      if (value === undefined) continue;
      const owners = this.ownersOf(keyOf(ws, type, value));
      if (owners.length === 0) continue;
      let eligible = owners.filter((m) => this.eligible(this.record(ws, m)!, known, rules));
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

  /**
   * A profile holding a login identity is returned only to a request that matches one of them.
   * Where a new known user gets a new profile, an anonymous one is never returned to a request with a login id.
   */
  private eligible(record: IdentityRecord, known: Identities, rules: StrategyRules): boolean {
    let protectedProfile = false;
    for (const t of rules.loginIds) {
      const held = record.identities[t];
      if (held === undefined) continue;
      if (known[t] === held) return true;
      protectedProfile = true;
    }
    return !protectedProfile && (rules.onNewKnownUser !== 'create_profile' || !hasLoginId(known, rules));
  }

  private hasLookup(record: IdentityRecord, type: IdentityType, value: string): boolean {
    return this.ownersOf(keyOf(record.workspaceId, type, value)).includes(record.mpid);
  }

  private earlierOf(record: IdentityRecord, type: IdentityType): string[] {
    const key = recordKey(record.workspaceId, record.mpid);
    let byType = this.earlier.get(key);
    if (!byType) this.earlier.set(key, (byType = new Map()));
    let values = byType.get(type);
    if (!values) byType.set(type, (values = []));
    return values;
  }

  private matchedOf(record: IdentityRecord, known: Identities): Identities {
    const matched: Identities = {};
    for (const [type, value] of entries(known)) if (this.hasLookup(record, type, value)) matched[type] = value;
    return matched;
  }

  private create(ws: WorkspaceId, tx: Transaction, reason: IdentityReason, mpid = this.newMpid(ws)): IdentityRecord {
    const record: IdentityRecord = { workspaceId: ws, mpid, identities: {}, createdAtMs: tx.at, updatedAtMs: tx.at };
    this.put(record);
    tx.note(record, reason, 'created');
    return record;
  }

  /**
   * Gives the record each identity it does not have yet. A different value replaces the current
   * one, or, with `keepEarlier` (best match), becomes current while the old one stays a lookup.
   */
  private addIdentities(record: IdentityRecord, ids: Identities, rules: StrategyRules, tx: Transaction, reason: IdentityReason, keepEarlier = false): void {
    for (const [type, value] of entries(ids)) {
      if (this.hasLookup(record, type, value)) continue;
      this.takeUnique(record, type, value, rules, tx, reason);
      const previous = record.identities[type];
      const kept = keepEarlier && previous !== undefined;
      if (kept) this.earlierOf(record, type).push(previous);
      else if (previous !== undefined) this.unindex(record.workspaceId, type, previous, record.mpid);
      record.identities[type] = value;
      this.index(record.workspaceId, type, value, record.mpid);
      if (kept) tx.note(record, { ...reason, detail: `${reason.detail}; ${previous} stays a lookup` }, 'identity_added', type, value);
      else tx.note(record, reason, previous === undefined ? 'identity_added' : 'identity_changed', type, value, previous ?? null);
    }
  }

  /** A unique identity value leaves every other profile holding it. */
  private takeUnique(record: IdentityRecord, type: IdentityType, value: string, rules: StrategyRules, tx: Transaction, reason: IdentityReason): void {
    if (!rules.uniqueIds.has(type)) return;
    for (const other of this.ownersOf(keyOf(record.workspaceId, type, value))) {
      if (other === record.mpid) continue;
      this.removeLookup(this.record(record.workspaceId, other)!, type, value, tx, { ...reason, detail: `unique identity moved to ${record.mpid}` });
    }
  }

  /** Modify: changes the named old value when the profile has it (else the current one), or removes it when the new value is null. */
  private change(record: IdentityRecord, c: IdentityChangeRequest, rules: StrategyRules, tx: Transaction, reason: IdentityReason): void {
    const current = record.identities[c.type];
    const target = c.oldValue !== null && this.hasLookup(record, c.type, c.oldValue) ? c.oldValue : current;
    if (c.newValue === null || this.hasLookup(record, c.type, c.newValue)) {
      if (target !== undefined && target !== c.newValue) this.removeLookup(record, c.type, target, tx, reason);
      return;
    }
    if (target === current || target === undefined) {
      this.addIdentities(record, { [c.type]: c.newValue }, rules, tx, reason);
      return;
    }
    // An earlier value (best match) is replaced where it stands.
    this.takeUnique(record, c.type, c.newValue, rules, tx, reason);
    const values = this.earlierOf(record, c.type);
    values[values.indexOf(target)] = c.newValue;
    this.unindex(record.workspaceId, c.type, target, record.mpid);
    this.index(record.workspaceId, c.type, c.newValue, record.mpid);
    tx.note(record, reason, 'identity_changed', c.type, c.newValue, target);
  }

  /** Removes one lookup; when it was the current value, the latest earlier one (best match) becomes current. */
  private removeLookup(record: IdentityRecord, type: IdentityType, value: string, tx: Transaction, reason: IdentityReason): void {
    const values = this.earlier.get(recordKey(record.workspaceId, record.mpid))?.get(type) ?? [];
    if (record.identities[type] === value) {
      const promoted = values.pop();
      if (promoted === undefined) delete record.identities[type];
      else record.identities[type] = promoted;
    } else if (values.includes(value)) values.splice(values.indexOf(value), 1);
    else return;
    this.unindex(record.workspaceId, type, value, record.mpid);
    tx.note(record, reason, 'identity_removed', type, null, value);
  }

  /** Replays a record's history into its earlier lookups: added appends, changed replaces in place, removed drops. */
  private restoreEarlier(record: IdentityRecord, events: readonly IdentityEvent[]): void {
    const lists = new Map<IdentityType, string[]>();
    for (const e of events) {
      if (!e.type) continue;
      const list = lists.get(e.type) ?? [];
      lists.set(e.type, list);
      const at = e.previousValue === null ? -1 : list.indexOf(e.previousValue);
      if (e.action === 'identity_removed') {
        if (at >= 0) list.splice(at, 1);
      } else if ((e.action === 'identity_added' || e.action === 'identity_changed') && e.value !== null && !list.includes(e.value)) {
        if (e.action === 'identity_changed' && at >= 0) list[at] = e.value;
        else list.push(e.value);
      }
    }
    for (const [type, list] of lists) {
      const current = record.identities[type];
      if (current === undefined) continue;
      for (const value of list) {
        if (value === current) continue;
        this.earlierOf(record, type).push(value);
        this.index(record.workspaceId, type, value, record.mpid);
      }
    }
  }

  private put(record: IdentityRecord): void {
    this.records.set(recordKey(record.workspaceId, record.mpid), record);
    for (const [type, value] of entries(record.identities)) this.index(record.workspaceId, type, value, record.mpid);
  }

  private ownersOf(key: string): Mpid[] {
    const owners = this.owners.get(key);
    if (owners === undefined) return [];
    return typeof owners === 'string' ? [owners] : [...owners];
  }

  private index(ws: WorkspaceId, type: IdentityType, value: string, mpid: Mpid): void {
    const key = keyOf(ws, type, value);
    const owners = this.owners.get(key);
    if (owners === undefined || owners === mpid) this.owners.set(key, mpid);
    else if (typeof owners === 'string') this.owners.set(key, new Set([owners, mpid]));
    else owners.add(mpid);
  }

  /** Removes an owner, and the entry once it has none, so replaced values do not pile up. */
  private unindex(ws: WorkspaceId, type: IdentityType, value: string, mpid: Mpid): void {
    const key = keyOf(ws, type, value);
    const owners = this.owners.get(key);
    if (owners === mpid) this.owners.delete(key);
    else if (owners !== undefined && typeof owners !== 'string') {
      owners.delete(mpid);
      if (owners.size === 1) this.owners.set(key, owners.values().next().value!);
    }
  }

  /**
   * Erases some users (a GDPR erasure): drops each record and every lookup of it (best match's
   * earlier values too) from memory at once, so no request resolves to them from now on, then
   * erases them from the store in one transaction (`IdentityStore.eraseUsers`: records, history,
   * alias requests). Answers the rows the store removed. The MPIDs are remembered as erased
   * ({@link isErased}), in memory at once and in the store with the erasure: none is ever given
   * again, and a batch naming one is resolved by its identities (`IdSyncResolver`), so a user
   * erased does not come back under the same MPID.
   */
  eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    for (const mpid of mpids) {
      const key = recordKey(ws, mpid);
      this.erased.add(key);
      const record = this.records.get(key);
      if (!record) continue;
      for (const [type, value] of entries(record.identities)) this.unindex(ws, type, value, mpid);
      for (const [type, values] of this.earlier.get(key) ?? []) for (const value of values) this.unindex(ws, type, value, mpid);
      this.records.delete(key);
      this.earlier.delete(key);
    }
    return this.deps.store.eraseUsers(ws, mpids);
  }

  /** A random signed 64-bit id, unique in the workspace. */
  private newMpid(ws: WorkspaceId): Mpid {
    for (;;) {
      const mpid = parseMpid(randomBytes(8).readBigInt64BE(0));
      if (mpid && !this.records.has(recordKey(ws, mpid)) && !this.erased.has(recordKey(ws, mpid))) return mpid;
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
