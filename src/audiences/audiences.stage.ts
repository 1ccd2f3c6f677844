import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import { CountedOffsets } from '../model/counted-offsets.ts';
import { computedAttributesOf } from '../model/enrichment.ts';
import type { LogRecord } from '../model/envelope.ts';
import { ok, type Stage } from '../model/stage.ts';
import type { Profile } from '../profiles/profile.ts';
import type { AudienceRegistry, WorkspaceAudiences } from './audience-registry.ts';
import type { Audience, AudienceCalculation, AudienceStore, AudienceUser, EventTrack, MembershipChange } from './audience-store.ts';
import { evaluate, type UserFacts } from './evaluate.ts';
import { dropUnplanned, eventTimeOf, mergeTracks, trackEvent, trackKey } from './event-tracks.ts';

export interface AudiencesStageDeps {
  store: AudienceStore;
  registry: AudienceRegistry;
  /** The processor's profiles (the profile stage has applied the record before this stage runs). */
  profiles: { get(ws: WorkspaceId, mpid: Mpid): Promise<Profile | undefined> };
  /** A user's calculated attribute values now: what a decision without a record reads. */
  calculatedValues: (ws: WorkspaceId, mpid: Mpid) => Promise<Readonly<Record<string, unknown>>>;
  now?: () => number;
  /** Users held in memory between flushes (written ones beyond it are dropped, oldest first). */
  maxUsers?: number;
}

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
  /** Decides every audience for these users (their latest identities filled in) and writes them with the progress. */
  decideUsers(ws: WorkspaceId, users: readonly { mpid: Mpid; identities: Record<string, string> }[], progress: AudienceCalculation): Promise<void>;
}

const userKey = (ws: WorkspaceId, mpid: Mpid) => `${ws}:${mpid}`;
const revisionKey = (a: Pick<Audience, 'workspaceId' | 'id' | 'revision'>) => `${a.workspaceId}:${a.id}:${a.revision}`;

/**
 * Real-time audiences (after the profile and calculated attributes stages, so a verdict sees the
 * batch's attributes and the user's values): each record's events are counted into the user's
 * event tracks (`event-tracks.ts`), then every active audience of the workspace is decided for
 * the user (`evaluate.ts`), those an audience names first; a membership that changes is a
 * {@link MembershipChange}. The user's state, the changes and the partition's offset are written
 * together at each flush, before the processor commits: a record re-run after a crash past what
 * was written is neither counted nor decided again ({@link CountedOffsets}), so no change is lost
 * or emitted twice. Time alone changes a verdict with a recency window: the user's `dueMs` is
 * when, and `runDue` (every second, an index lookup) decides those users again.
 *
 * Activation: the first time the stage meets an activated revision it fixes its handover (per
 * partition, the last offset it had run) and writes it before counting anything for it; the
 * revision's tracks count only later events. The revision is decided only once its calculation
 * from history is done (`AudienceActivation` adds history's tracks before the handover, then
 * decides every user), so it never emits memberships from half its data.
 */
export function audiencesStage(deps: AudiencesStageDeps): AudiencesStage {
  const { store, registry } = deps;
  const now = deps.now ?? Date.now;
  const maxUsers = deps.maxUsers ?? 50_000;
  const counted = new CountedOffsets();
  const users = new Map<string, AudienceUser>();
  /** Per partition, the last offset run (the committed one at recovery). */
  const lastRun = new Map<number, number>();
  /** Revisions met, and whether each is decided (its calculation from history is done). */
  const ready = new Map<string, boolean>();
  let dirty = new Set<AudienceUser>();
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
      users.set(userKey(ws, mpid), found.get(mpid) ?? { workspaceId: ws, mpid, events: {}, identities: {}, memberships: {}, dueMs: null });
    }
  }

  async function userOf(ws: WorkspaceId, mpid: Mpid): Promise<AudienceUser> {
    await load(ws, [mpid]);
    return users.get(userKey(ws, mpid))!;
  }

  /**
   * Reloads the definitions and meets each new revision: one activated through the Platform API
   * (a calculation without a handover) gets its handover, written at once; one without a
   * calculation is decided live from the start.
   */
  async function refresh(): Promise<void> {
    await registry.refresh();
    for (const audience of registry.all()) {
      const key = revisionKey(audience);
      if (ready.get(key) === true) continue;
      const calculation = await store.calculation(audience.workspaceId, audience.id, audience.revision);
      if (calculation?.handover === null) {
        await store.putCalculation({ ...calculation, handover: Object.fromEntries(lastRun) });
        ready.set(key, false);
      } else ready.set(key, calculation === undefined || calculation.status === 'calculated');
    }
  }

  /** Decides the workspace's audiences (those ready, or all) for the user at `at`, noting each membership that changed. */
  function decide(user: AudienceUser, audiences: WorkspaceAudiences, facts: Pick<UserFacts, 'profile' | 'calculated'>, at: number, all = false): void {
    const memberships = user.memberships;
    // Memberships of audiences no longer active are dropped (a deleted audience's members are deleted with it).
    for (const id of Object.keys(memberships)) if (!audiences.byId.has(Number(id))) delete memberships[id];
    dropUnplanned(user.events, audiences.tracks);
    let dueMs = Infinity;
    for (const audience of audiences.ordered) {
      if (!all && ready.get(revisionKey(audience)) === false) continue;
      const verdict = evaluate(
        audience.definition,
        { ...facts, identities: user.identities, track: (c) => user.events[trackKey(audience, c)], member: (id) => Object.hasOwn(memberships, String(id)) },
        at,
      );
      dueMs = Math.min(dueMs, verdict.untilMs);
      const id = String(audience.id);
      if (verdict.member === Object.hasOwn(memberships, id)) continue;
      if (verdict.member) memberships[id] = at;
      else delete memberships[id];
      changes.push({ workspaceId: user.workspaceId, audienceId: audience.id, mpid: user.mpid, change: verdict.member ? 'added' : 'removed', atMs: at });
    }
    user.dueMs = Number.isFinite(dueMs) ? dueMs : null;
    dirty.add(user);
  }

  /** Counts a record's events and identities into the user's state. */
  function count(record: LogRecord, user: AudienceUser, audiences: WorkspaceAudiences): void {
    for (const event of record.batch.events) trackEvent(audiences.tracks, user.events, event, eventTimeOf(event, record.batch, record.receivedAtMs));
    for (const [type, value] of Object.entries(record.batch.user_identities ?? {})) {
      if (typeof value === 'string' && value !== '') user.identities[type] = value;
    }
  }

  async function write(): Promise<void> {
    const offsets = counted.take();
    const taken = dirty;
    const made = changes;
    const progress = calculations;
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
    for (const c of progress) if (c.status === 'calculated') ready.set(revisionKey(c), true);
    trim();
  }

  /** Drops written users beyond `maxUsers`, oldest first. */
  function trim(): void {
    for (const [key, user] of users) {
      if (users.size <= maxUsers) return;
      if (!dirty.has(user)) users.delete(key);
    }
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
      const byWorkspace = new Map<WorkspaceId, Mpid[]>();
      for (const r of records) {
        if (registry.of(r.workspaceId).ordered.length === 0) continue;
        byWorkspace.set(r.workspaceId, [...(byWorkspace.get(r.workspaceId) ?? []), r.mpid]);
      }
      for (const [ws, mpids] of byWorkspace) await load(ws, mpids);
    },
    async run(record) {
      lastRun.set(record.partition, record.offset);
      const audiences = registry.of(record.workspaceId);
      if (audiences.ordered.length === 0 || !counted.claim(record)) return ok(record);
      const user = await userOf(record.workspaceId, record.mpid);
      count(record, user, audiences);
      const profile = await deps.profiles.get(record.workspaceId, record.mpid);
      decide(user, audiences, { profile, calculated: computedAttributesOf(record) ?? {} }, now());
      return ok(record);
    },
    flush() {
      return queued(write);
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
          decide(user, registry.of(ws), await factsOf(ws, mpid), at);
        }
        await write();
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
          const user = users.get(userKey(ws, mpid))!;
          for (const [type, value] of Object.entries(identities)) user.identities[type] ??= value;
          decide(user, audiences, await factsOf(ws, mpid), at, true);
        }
        calculations.push(progress);
        await write();
      });
    },
    async recover(partition, committed) {
      lastRun.set(partition, Math.max(lastRun.get(partition) ?? 0, committed));
      if (recovered) return;
      counted.load(await store.appliedOffsets());
      recovered = true;
    },
    async reset() {
      await last.catch(() => undefined);
      counted.reset();
      users.clear();
      ready.clear();
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
