import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Handover } from '../model/handover.ts';
import type { AudienceNode } from './definition.ts';

/** An audience as the Platform API keeps it. */
export interface Audience {
  id: number;
  workspaceId: WorkspaceId;
  name: string;
  description: string | null;
  /** Real-time (kept current as events arrive) or standard (computed on demand over the event store). */
  kind: 'realtime' | 'standard';
  definition: AudienceNode;
  /**
   * A standard audience's events: from the start of `start`'s UTC day to the end of `end`'s (both
   * inclusive, `YYYY-MM-DD`), null ends open; null (or absent, in audiences stored before it) for
   * all the data there is, and for every real-time audience.
   */
  date_range?: DateRange | null;
  created_on: string;
  created_by: string;
  last_modified_on: string | null;
  last_modified_by: string | null;
  /** Whether it is populated: set by activation. */
  is_active: boolean;
  activated_on: string | null;
  /**
   * Grows at each activation (and each change of an active audience's definition): memberships
   * computed belong to one revision, so a changed definition starts again.
   */
  revision: number;
}

/** `date_range`: inclusive UTC days, either end open. */
export interface DateRange {
  start: string | null;
  end: string | null;
}

/**
 * How far an activated revision's initial calculation has come. The Platform API writes it at
 * activation; the processor fixes `handover` when it first evaluates the revision (per partition,
 * the last log offset it had run: events at or below come from the event store's history, later
 * ones are counted as they are processed), then writes the progress with the users it calculated.
 */
export interface AudienceCalculation {
  workspaceId: WorkspaceId;
  id: number;
  revision: number;
  status: 'calculating' | 'calculated';
  handover: Handover | null;
  /**
   * A real-time audience's: adding history's events to users' tracks, then deciding every user
   * (`AudienceActivation`). A standard audience's: its query over the event store (`StandardCalculations`).
   */
  phase: 'events' | 'users' | 'query';
  /** A standard audience's query: how far it has come (0-100). */
  percent?: number;
  /** The last user of the phase written: a calculation resumes after it. */
  cursor: Mpid | null;
  usersDone: number;
  usersTotal: number | null;
  startedAtMs: number;
  completedAtMs: number | null;
}

/** A revision's calculation as activation starts it: the processor fixes its handover when it first meets the revision. */
export function startedCalculation(a: Pick<Audience, 'workspaceId' | 'id' | 'revision' | 'kind'>, nowMs: number): AudienceCalculation {
  return {
    workspaceId: a.workspaceId,
    id: a.id,
    revision: a.revision,
    status: 'calculating',
    handover: null,
    phase: a.kind === 'standard' ? 'query' : 'events',
    ...(a.kind === 'standard' ? { percent: 0 } : {}),
    cursor: null,
    usersDone: 0,
    usersTotal: null,
    startedAtMs: nowMs,
    completedAtMs: null,
  };
}

/** What the audiences stage keeps of one user's events: per event criterion (by its key), counted compactly. */
export interface EventTrack {
  /** Matching events in the criterion's fixed date range (all of them without one). */
  n: number;
  /** The most recent matching event times, newest first: as many as the criteria over this key need to count within their windows. */
  recent: number[];
}

/** One user's audience state. */
export interface AudienceUser {
  workspaceId: WorkspaceId;
  mpid: Mpid;
  /** By track key (`trackKey`: an audience revision's event criterion). */
  events: Record<string, EventTrack>;
  /** The user identities seen in the user's batches, by type. */
  identities: Record<string, string>;
  /** Current memberships: audience id → when the user was added (ms). */
  memberships: Record<string, number>;
  /** When, with no new event, a membership may next change (a recency window ends); null if never. */
  dueMs: number | null;
}

/** A user added to or removed from an audience: kept as the user's membership history, and read in order by outputs. */
export interface MembershipChange {
  workspaceId: WorkspaceId;
  audienceId: number;
  mpid: Mpid;
  change: 'added' | 'removed';
  atMs: number;
}

/** A change as stored: with its place in the store's sequence of changes. */
export interface StoredMembershipChange extends MembershipChange {
  seq: number;
}

/** What the audiences stage makes durable at a flush (one transaction). */
export interface AudienceFlush {
  users: readonly AudienceUser[];
  changes: readonly MembershipChange[];
  /** Per partition, the last log offset evaluated (`CountedOffsets`). */
  offsets: ReadonlyMap<number, number>;
  /** Calculations' progress, written with the users calculated (a calculation resumes exactly after them). */
  calculations?: readonly AudienceCalculation[];
}

/**
 * Audiences: definitions (written by the Platform API), the processor's per-user state and
 * memberships, and every membership change (part of the storage role "state").
 *
 * Contract (`storage/contracts/audience-store.contract.ts`):
 * - names are unique per workspace, case-insensitively (`'name-taken'`, nothing stored);
 * - `revision()` grows with every write of a definition, through any connection;
 * - `delete` removes the audience with its calculations and memberships (history stays: it is
 *   what was sent);
 * - `record` writes users, changes, offsets and calculations all or nothing; the memberships it writes are what
 *   `members`, `size` and `membershipsOf` read; changes get increasing `seq`s;
 * - `due(now)` returns users whose `dueMs` is at or before `now`, soonest first, by index;
 * - `eraseUsers` removes everything the store holds of some users, history included, all or nothing;
 * - `reset` forgets everything derived from the log (users, memberships, changes, calculations, offsets).
 */
export interface AudienceStore {
  create(ws: WorkspaceId, audience: Omit<Audience, 'id' | 'workspaceId'>): Promise<Audience | 'name-taken'>;
  get(ws: WorkspaceId, id: number): Promise<Audience | undefined>;
  /** A workspace's audiences, by id. */
  list(ws: WorkspaceId): Promise<Audience[]>;
  /** Every workspace's active audiences: what the processor evaluates. */
  active(): Promise<Audience[]>;
  update(audience: Audience): Promise<boolean | 'name-taken'>;
  delete(ws: WorkspaceId, id: number): Promise<boolean>;
  revision(): Promise<number>;

  calculation(ws: WorkspaceId, id: number, revision: number): Promise<AudienceCalculation | undefined>;
  putCalculation(calculation: AudienceCalculation): Promise<void>;

  /** Each user's state (users the store holds nothing of are left out). */
  users(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<Map<Mpid, AudienceUser>>;
  record(flush: AudienceFlush): Promise<void>;
  appliedOffsets(): Promise<Map<number, number>>;
  /** Users due at or before `nowMs` (see {@link AudienceUser.dueMs}), soonest first. */
  due(nowMs: number, limit: number): Promise<{ workspaceId: WorkspaceId; mpid: Mpid }[]>;

  /** An audience's members, by MPID (as text, in numeric order), after `afterMpid`. */
  members(ws: WorkspaceId, audienceId: number, afterMpid: Mpid | null, limit: number): Promise<{ mpid: Mpid; addedAtMs: number }[]>;
  size(ws: WorkspaceId, audienceId: number): Promise<number>;
  /**
   * A standard audience's calculated members replace its members, in one transaction with the
   * calculation's progress: a change for each user leaving, then for each joining (in MPID order,
   * at `atMs`); those kept keep when they were added. False when the audience no longer exists.
   */
  replaceMembers(ws: WorkspaceId, audienceId: number, mpids: readonly Mpid[], atMs: number, calculation: AudienceCalculation): Promise<boolean>;
  /** A user's current memberships, with each audience's name. */
  membershipsOf(ws: WorkspaceId, mpid: Mpid): Promise<{ audienceId: number; name: string; addedAtMs: number }[]>;
  /** A user's membership history, oldest first. */
  historyOf(ws: WorkspaceId, mpid: Mpid): Promise<StoredMembershipChange[]>;
  /** Changes after `seq`, in order: what audience outputs deliver. */
  changesAfter(seq: number, limit: number): Promise<StoredMembershipChange[]>;
  /** One audience's changes after `seq`, in order: what an audience connection delivers. */
  audienceChangesAfter(ws: WorkspaceId, audienceId: number, seq: number, limit: number): Promise<StoredMembershipChange[]>;
  /** How many of one audience's changes come after `seq`, and the first one's time (what an audience connection has still to send). */
  audienceChangesPending(ws: WorkspaceId, audienceId: number, seq: number): Promise<{ count: number; oldestAtMs: number | null }>;
  /** The seq of the last change written (0 before any). */
  lastChangeSeq(): Promise<number>;

  /**
   * Erases some users of one workspace (the store's part of a GDPR erasure), all in one
   * transaction: each user's audience state (event tracks, the identities seen, memberships and
   * due time, so the due job forgets the user), current memberships of every audience, and every
   * membership change of the user: the membership history, and with it the changes audience
   * connections have not delivered yet (a partner is not told of a change that was erased).
   * Answers how many rows it removed (0 for unknown users).
   *
   * Kept: definitions, calculations' progress (counts, and a `cursor` that may be an erased MPID:
   * a place to resume at, holding nothing of the user) and offsets. Memberships a running stage
   * holds in memory are its own to drop.
   */
  eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
  reset(): Promise<void>;
  close(): Promise<void>;
}
