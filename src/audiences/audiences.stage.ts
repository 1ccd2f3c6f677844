import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Handover } from '../model/handover.ts';
import { CountedOffsets } from '../model/counted-offsets.ts';
import { computedAttributesOf } from '../model/enrichment.ts';
import type { LogRecord } from '../model/envelope.ts';
import { ok, type Stage } from '../model/stage.ts';
import type { Profile } from '../profiles/profile.ts';
import type { AudienceRegistry, WorkspaceAudiences } from './audience-registry.ts';
import type { Audience, AudienceCalculation, AudienceStore, AudienceUser, EventTrack, MembershipChange } from './audience-store.ts';
import { evaluate, type UserFacts } from './evaluate.ts';
import { type FactReads, factReads, revisionKey, revisionKeyOf, timedAudiences } from './verdict-inputs.ts';
import { dropUnplanned, eventTimeOf, mergeTracks, trackEvent, trackKey, type TrackPlan } from './event-tracks.ts';

export interface AudiencesStageDeps {
  store: AudienceStore;
  registry: AudienceRegistry;
  /** The processor's profiles (the profile stage has applied the record before this stage runs). */
  profiles: { get(ws: WorkspaceId, mpid: Mpid): Promise<Profile | undefined> };
  /** A user's calculated attribute values now: what a decision without a record reads. */
  calculatedValues: (ws: WorkspaceId, mpid: Mpid) => Promise<Readonly<Record<string, unknown>>>;
  /** The event log (its `read`), read again at recovery: what was counted after the last write is counted again from it. */
  log: { read(partition: number, afterOffset: number, limit: number): Promise<LogRecord[]> };
  now?: () => number;
  /** Users held in memory (written ones beyond it are dropped, those used longest ago first). */
  maxUsers?: number;
  /** How often users' states, memberships and changes are written (at most; and when the processor stops). */
  writeEveryMs?: number;
  /** They are written sooner once this many users changed. */
  writeAtUsers?: number;
  /** ... or once this many membership changes wait (a burst of new users is written in parts, not in one long transaction). */
  writeAtChanges?: number;
}

/** Records read per round when counting again at recovery. */
const RECOVERY_CHUNK = 2000;

/** What an activation found in history for one user (see `AudienceActivation`). */
export interface HistoryOfUser {
  mpid: Mpid;
  /** The revision's tracks of the user's events up to the handover. */
  tracks: Record<string, EventTrack>;
}

/** The audiences stage, with what the activation and the due job ask of it. */
export interface AudiencesStage extends Stage {
  /** Decides again every user due by now (`AudienceUser.dueMs`) and writes what changed; how many were due. */
  runDue(limit?: number): Promise<number>;
  /** Adds history's tracks to these users and writes them with the calculation's progress, in one write. */
  addHistory(audience: Audience, users: readonly HistoryOfUser[], progress: AudienceCalculation): Promise<void>;
  /** The active revisions the stage has met whose calculation from history is not done: what `AudienceActivation` runs. */
  awaitingCalculation(): Audience[];
  /** A user's current memberships, real-time (held here, written behind) and standard (the store's), with the audiences' names. */
  membershipsOf(ws: WorkspaceId, mpid: Mpid): Promise<{ audienceId: number; name: string; addedAtMs: number }[]>;
  /** Decides every audience for these users (their latest identities filled in) and writes them with the progress. */
  decideUsers(ws: WorkspaceId, users: readonly { mpid: Mpid; identities: Record<string, string> }[], progress: AudienceCalculation): Promise<void>;
  /**
   * Erases users (a GDPR erasure), in turn with the writes: their state, memberships and changes
   * not yet written are dropped from memory, then everything the store holds of them; the rows removed.
   */
  eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
}

const userKey = (ws: WorkspaceId, mpid: Mpid) => `${ws}:${mpid}`;
/**
 * Real-time audiences (after the profile and calculated attributes stages, so a verdict sees the
 * batch's attributes and the user's values): each record's events are counted into the user's
 * event tracks (`event-tracks.ts`), then every active audience of the workspace is decided for
 * the user (`evaluate.ts`), those an audience names first; a membership that changes is a
 * {@link MembershipChange}. A record decides again only the audiences it can have moved
 * (`verdict-inputs.ts`): those whose tracks it changed, those reading facts when the facts the
 * workspace's audiences read changed, and those naming an audience that just moved.
 *
 * Exactly once, written behind: users' states, memberships, changes and each partition's last
 * counted offset are written together, every `writeEveryMs` (5 s), sooner once `writeAtChanges`
 * (10,000) changes wait or `writeAtUsers` (20,000) users changed (a burst is written in parts,
 * not in one long transaction), and when the processor stops. The processor may commit past what
 * is written; after a crash the records between the last write and the committed offset are
 * counted and decided again from the log, before anything new, and records re-run past the committed offset
 * are not counted twice ({@link CountedOffsets}): a change is emitted (written) once, or not at
 * all and decided again. The Profile API reads memberships from here (`membershipsOf`), current
 * to the last record processed. Time alone changes a verdict with a recency window: the user's
 * `dueMs` is when, and `runDue` (every second, an index lookup) decides those users again.
 *
 * Activation: the first time the stage meets an activated revision it fixes its handover (per
 * partition, the last offset it had run) and writes it; the revision's tracks count only events
 * past it. The revision is decided only once its calculation from history is done
 * (`AudienceActivation` adds history's tracks before the handover, then decides every user), so
 * it never emits memberships from half its data.
 */
export function audiencesStage(deps: AudiencesStageDeps): AudiencesStage {
  const { store, registry } = deps;
  const now = deps.now ?? Date.now;
  const maxUsers = deps.maxUsers ?? 50_000;
  const writeEveryMs = deps.writeEveryMs ?? 5000;
  const writeAtUsers = deps.writeAtUsers ?? 20_000;
  const writeAtChanges = deps.writeAtChanges ?? 10_000;
  /** Whether what waits is to be written now. */
  const writeDue = () => now() - writtenAt >= writeEveryMs || dirty.size >= writeAtUsers || changes.length >= writeAtChanges;
  let writtenAt = now();
  const counted = new CountedOffsets();
  /** Each adopted revision's handover: its tracks count records past it only. */
  const handovers = new Map<string, Handover>();
  /** Per partition, the committed offset at recovery: what lies between the last write and it is counted again first. */
  const toRecount = new Map<number, number>();
  let recounting: Promise<void> | undefined;
  const users = new Map<string, AudienceUser>();
  /** Per partition, the last offset run (the committed one at recovery). */
  const lastRun = new Map<number, number>();
  /** Revisions met, and whether each is decided (its calculation from history is done). */
  const ready = new Map<string, boolean>();
  /** Users whose events were counted while a revision was still calculating: decided again when it is done. */
  const undecided = new Map<string, { ws: WorkspaceId; mpid: Mpid }>();
  let dirty = new Set<AudienceUser>();
  /**
   * Users new to the stage, not yet decided: their first record decides every audience, not only
   * those it moved (a user who never did an event is a member of "never did it" from the start).
   */
  const unmet = new WeakSet<AudienceUser>();
  let changes: MembershipChange[] = [];
  let calculations: AudienceCalculation[] = [];
  let last: Promise<void> = Promise.resolve();
  let recovered = false;

  async function load(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<void> {
    const missing = [...new Set(mpids)].filter((m) => !users.has(userKey(ws, m)));
    if (missing.length === 0) return;
    const found = await store.users(ws, missing);
    for (const mpid of missing) {
      if (users.has(userKey(ws, mpid))) continue;
      const held = found.get(mpid);
      if (held) users.set(userKey(ws, mpid), held);
      else {
        const user: AudienceUser = { workspaceId: ws, mpid, events: {}, identities: {}, memberships: {}, dueMs: null };
        users.set(userKey(ws, mpid), user);
        unmet.add(user);
      }
    }
  }

  /** The user, held; used last, so it is the last that `trim` drops. */
  async function userOf(ws: WorkspaceId, mpid: Mpid): Promise<AudienceUser> {
    await load(ws, [mpid]);
    const key = userKey(ws, mpid);
    const user = users.get(key)!;
    users.delete(key);
    users.set(key, user);
    return user;
  }

  /**
   * Reloads the definitions and meets each new revision: one activated through the Platform API
   * (a calculation without a handover) gets its handover, written at once; one without a
   * calculation is decided live from the start.
   */
  function setHandover(key: string, handover: Handover): void {
    handovers.set(key, handover);
    for (const [p, offset] of Object.entries(handover)) highestHandover.set(Number(p), Math.max(highestHandover.get(Number(p)) ?? -1, offset));
  }

  let refreshing: Promise<void> = Promise.resolve();
  /** One refresh at a time: two partitions' loops must not both adopt a revision (with two handovers). */
  function refresh(): Promise<void> {
    refreshing = refreshing.catch(() => undefined).then(refreshOnce);
    return refreshing;
  }

  async function refreshOnce(): Promise<void> {
    await registry.refresh();
    for (const audience of registry.all()) {
      const key = revisionKeyOf(audience);
      if (ready.get(key) === true) continue;
      const calculation = await store.calculation(audience.workspaceId, audience.id, audience.revision);
      if (calculation?.handover === null) {
        const handover = Object.fromEntries(lastRun);
        setHandover(key, handover);
        ready.set(key, false);
        await store.putCalculation({ ...calculation, handover });
        continue;
      }
      if (calculation?.handover) setHandover(key, calculation.handover);
      ready.set(key, calculation === undefined || calculation.status === 'calculated');
    }
  }

  /** The tracks a user's state was last pruned for: pruned again only when the plan changed. */
  const prunedFor = new WeakMap<AudienceUser, TrackPlan>();

  /** Each user's profile facts at its last decision, as `factReads` reads them (for the snapshot they were read for). */
  const factsAt = new WeakMap<AudienceUser, { reads: FactReads; values: string[] }>();
  /** Which facts changed at the decision being made (by index). */
  let changedFacts: boolean[] = [];
  // What `decide` reads, made once: it runs to the end without awaiting, so one decision at a time uses them.
  let deciding: AudienceUser | undefined;
  let current: Audience | undefined;
  const moved = new Set<number>();
  const all: { -readonly [K in keyof UserFacts]: UserFacts[K] } = {
    profile: undefined,
    calculated: {},
    identities: {},
    track: (c) => deciding!.events[trackKey(current!, c)],
    member: (id) => Object.hasOwn(deciding!.memberships, String(id)),
  };

  /**
   * Decides the workspace's audiences for the user at `at`, noting each membership that changed:
   * those ready (and `calculating`, the revision being calculated); with `only` (after a record),
   * just those whose verdict may have moved: their tracks changed (`only`), or the facts they read
   * did, or an audience they name changed membership just now. The others' verdicts stand, and
   * their due times with them (kept in `dueMs` until it passes).
   */
  function decide(user: AudienceUser, audiences: WorkspaceAudiences, facts: Pick<UserFacts, 'profile' | 'calculated'>, at: number, o: { calculating?: string; only?: ReadonlySet<number> } = {}): void {
    const memberships = user.memberships;
    if (prunedFor.get(user) !== audiences.tracks) {
      // The definitions changed since: tracks and memberships of revisions no longer active are dropped
      // (a deleted audience's members are deleted with it).
      for (const id of Object.keys(memberships)) if (!audiences.byId.has(Number(id))) delete memberships[id];
      dropUnplanned(user.events, audiences.tracks);
      prunedFor.set(user, audiences.tracks);
    }
    let dueMs = o.only && user.dueMs !== null && user.dueMs > at ? user.dueMs : Infinity;
    const reads = factReads(audiences);
    const before = factsAt.get(user);
    const values = reads.facts.map((read) => read(facts, user));
    changedFacts = values.map((v, i) => before?.reads !== reads || before.values[i] !== v);
    factsAt.set(user, { reads, values });
    moved.clear();
    deciding = user;
    all.profile = facts.profile;
    all.calculated = facts.calculated;
    all.identities = user.identities;
    for (const { audience, key, facts: read, audiences: named } of reads.audiences) {
      if (o.only && !o.only.has(audience.id) && !read.some((i) => changedFacts[i]) && !(moved.size > 0 && named.some((id) => moved.has(id)))) continue;
      // Decided once met and calculated (or while being calculated, by the calculation).
      if (ready.get(key) !== true && key !== o.calculating) continue;
      current = audience;
      const verdict = evaluate(audience.definition, all, at);
      dueMs = Math.min(dueMs, verdict.untilMs);
      const id = String(audience.id);
      if (verdict.member === Object.hasOwn(memberships, id)) continue;
      if (verdict.member) memberships[id] = at;
      else delete memberships[id];
      moved.add(audience.id);
      changes.push({ workspaceId: user.workspaceId, audienceId: audience.id, mpid: user.mpid, change: verdict.member ? 'added' : 'removed', atMs: at });
    }
    user.dueMs = Number.isFinite(dueMs) ? dueMs : null;
    dirty.add(user);
  }

  /** Per partition, the highest handover of any revision: records past it count for every revision. */
  const highestHandover = new Map<number, number>();

  /** Registry snapshots whose every revision the stage has met (adopted): no revision of them waits to be. */
  const allMet = new WeakSet<WorkspaceAudiences>();

  /**
   * Whether a revision's tracks count this record (undefined: every revision's do): the stage has
   * met the revision (the registry may be reloaded elsewhere first: until then its handover is not
   * fixed, and history will hold the record), and the record lies past its handover.
   */
  function countsFor(record: LogRecord): ((audienceId: number) => boolean) | undefined {
    const audiences = registry.of(record.workspaceId);
    if (!allMet.has(audiences) && audiences.ordered.every((a) => ready.has(revisionKeyOf(a)))) allMet.add(audiences);
    if (allMet.has(audiences) && record.offset > (highestHandover.get(record.partition) ?? -1)) return undefined;
    return (audienceId) => {
      const audience = audiences.byId.get(audienceId);
      if (!audience || !ready.has(revisionKeyOf(audience))) return false;
      const handover = handovers.get(revisionKeyOf(audience));
      return handover === undefined || record.offset > (handover[record.partition] ?? -1);
    };
  }

  /** Counts a record's events and identities into the user's state; the audiences whose tracks changed. */
  function count(record: LogRecord, user: AudienceUser, audiences: WorkspaceAudiences): Set<number> {
    const changed = new Set<number>();
    const counts = countsFor(record);
    for (const event of record.batch.events) trackEvent(audiences.tracks, user.events, event, eventTimeOf(event, record.batch, record.receivedAtMs), changed, counts);
    for (const [type, value] of Object.entries(record.batch.user_identities ?? {})) {
      if (typeof value === 'string' && value !== '') user.identities[type] = value;
    }
    return changed;
  }

  async function write(): Promise<void> {
    const offsets = counted.take();
    const taken = dirty;
    const made = changes;
    const progress = calculations;
    writtenAt = now();
    if (taken.size === 0 && made.length === 0 && offsets.size === 0 && progress.length === 0) return;
    dirty = new Set();
    changes = [];
    calculations = [];
    try {
      await store.record({ users: [...taken], changes: made, offsets, calculations: progress });
    } catch (error) {
      for (const u of taken) dirty.add(u);
      changes = made.concat(changes);
      calculations = progress.concat(calculations);
      counted.putBack(offsets);
      throw error;
    }
    counted.saved(offsets);
    trim();
  }

  /** Drops written users beyond `maxUsers`, those used longest ago first. */
  function trim(): void {
    for (const [key, user] of users) {
      if (users.size <= maxUsers) return;
      if (!dirty.has(user)) users.delete(key);
    }
  }

  /** Counts a record (unless counted already) and decides the user's audiences on it. */
  async function countAndDecide(record: LogRecord): Promise<void> {
    const audiences = registry.of(record.workspaceId);
    if (audiences.ordered.length === 0 || !counted.claim(record)) return;
    const user = await userOf(record.workspaceId, record.mpid);
    const changed = count(record, user, audiences);
    if (audiences.ordered.some((a) => ready.get(revisionKeyOf(a)) !== true)) undecided.set(userKey(record.workspaceId, record.mpid), { ws: record.workspaceId, mpid: record.mpid });
    const profile = await deps.profiles.get(record.workspaceId, record.mpid);
    const only = unmet.delete(user) ? undefined : changed;
    decide(user, audiences, { profile, calculated: computedAttributesOf(record) ?? {} }, now(), only ? { only } : {});
  }

  /** After a crash: the records between the last write and the committed offset, counted and decided again from the log. */
  async function recount(): Promise<void> {
    for (const [partition, committed] of toRecount) {
      for (let after = counted.appliedOf(partition); after < committed; ) {
        const records = await deps.log.read(partition, after, RECOVERY_CHUNK);
        if (records.length === 0) break;
        for (const record of records) if (record.offset <= committed) await countAndDecide(record);
        after = records.at(-1)!.offset;
      }
    }
    toRecount.clear();
  }

  const queued = (work: () => Promise<void>): Promise<void> => {
    last = last.catch(() => undefined).then(work);
    return last;
  };

  const factsOf = async (ws: WorkspaceId, mpid: Mpid) => {
    const [profile, calculated] = await Promise.all([deps.profiles.get(ws, mpid), deps.calculatedValues(ws, mpid)]);
    return { profile, calculated };
  };

  return {
    name: 'audiences',
    async prepare(records) {
      await refresh();
      // The first chunk after a restart waits for what the crash left to be counted again.
      if (toRecount.size > 0) await (recounting ??= recount());
      const byWorkspace = new Map<WorkspaceId, Mpid[]>();
      for (const r of records) {
        if (registry.of(r.workspaceId).ordered.length === 0) continue;
        byWorkspace.set(r.workspaceId, [...(byWorkspace.get(r.workspaceId) ?? []), r.mpid]);
      }
      for (const [ws, mpids] of byWorkspace) await load(ws, mpids);
    },
    async run(record) {
      lastRun.set(record.partition, record.offset);
      await countAndDecide(record);
      return ok(record);
    },
    flush() {
      if (!writeDue()) return last;
      return queued(write);
    },
    awaitingCalculation() {
      return registry.all().filter((a) => ready.get(revisionKeyOf(a)) === false);
    },
    async membershipsOf(ws, mpid) {
      const user = await userOf(ws, mpid);
      const audiences = registry.of(ws);
      const live = Object.entries(user.memberships).flatMap(([id, addedAtMs]) => {
        const audience = audiences.byId.get(Number(id));
        return audience ? [{ audienceId: audience.id, name: audience.name, addedAtMs }] : [];
      });
      // The store's, of audiences that are not active real-time ones: standard audiences, whose
      // members are written when they are calculated (the store's real-time rows lag the stage's).
      const standard = (await store.membershipsOf(ws, mpid)).filter((m) => !audiences.byId.has(m.audienceId));
      return [...live, ...standard].sort((a, b) => a.audienceId - b.audienceId);
    },
    async runDue(limit = 1000) {
      let due = 0;
      await queued(async () => {
        await refresh();
        const at = now();
        for (const { workspaceId: ws, mpid } of await store.due(at, limit)) {
          const user = await userOf(ws, mpid);
          if (user.dueMs === null || user.dueMs > at) continue;
          due += 1;
          // Time moves only the verdicts of audiences with a window (and those naming them, should they move).
          const audiences = registry.of(ws);
          decide(user, audiences, await factsOf(ws, mpid), at, { only: timedAudiences(audiences) });
        }
        // Written at the stage's pace: with no records to flush, this is what writes what changed.
        if (writeDue()) await write();
      });
      return due;
    },
    addHistory(audience, history, progress) {
      return queued(async () => {
        const audiences = registry.of(audience.workspaceId);
        for (const h of history) {
          const user = await userOf(audience.workspaceId, h.mpid);
          mergeTracks(user.events, h.tracks, audiences.tracks);
          dirty.add(user);
        }
        calculations.push(progress);
        await write();
      });
    },
    decideUsers(ws, listed, progress) {
      return queued(async () => {
        const audiences = registry.of(ws);
        const at = now();
        await load(ws, listed.map((u) => u.mpid));
        for (const { mpid, identities } of listed) {
          const user = await userOf(ws, mpid);
          for (const [type, value] of Object.entries(identities)) user.identities[type] ??= value;
          decide(user, audiences, await factsOf(ws, mpid), at, { calculating: revisionKey(progress) });
        }
        if (progress.status === 'calculated') {
          // Done: those counted live meanwhile, after their turn in the calculation, are decided now.
          ready.set(revisionKey(progress), true);
          for (const [key, u] of [...undecided].filter(([, u]) => u.ws === ws)) {
            undecided.delete(key);
            decide(await userOf(ws, u.mpid), audiences, await factsOf(ws, u.mpid), at);
          }
        }
        calculations.push(progress);
        await write();
      });
    },
    eraseUsers(ws, mpids) {
      let rows = 0;
      return queued(async () => {
        const erased = new Set(mpids);
        for (const mpid of mpids) {
          const user = users.get(userKey(ws, mpid));
          if (user) dirty.delete(user);
          users.delete(userKey(ws, mpid));
          undecided.delete(userKey(ws, mpid));
        }
        changes = changes.filter((c) => c.workspaceId !== ws || !erased.has(c.mpid));
        rows = await store.eraseUsers(ws, mpids);
      }).then(() => rows);
    },
    async recover(partition, committed) {
      lastRun.set(partition, Math.max(lastRun.get(partition) ?? 0, committed));
      if (!recovered) {
        counted.load(await store.appliedOffsets());
        recovered = true;
      }
      if (counted.appliedOf(partition) < committed) toRecount.set(partition, committed);
    },
    async reset() {
      await last.catch(() => undefined);
      counted.reset();
      users.clear();
      ready.clear();
      handovers.clear();
      highestHandover.clear();
      toRecount.clear();
      undecided.clear();
      dirty = new Set();
      changes = [];
      calculations = [];
      await store.reset();
      recovered = true;
    },
    close() {
      return queued(write);
    },
  };
}
