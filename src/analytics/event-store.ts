import type { InputId, Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { LogRecord } from '../model/envelope.ts';
import type { Environment, EventType } from '../model/event-types.ts';

/**
 * One processed event as the event store keeps it: typed columns for what analytics filters and
 * groups by, and the rest as JSON. `(partition, logOffset, eventIndex)` is where it came from in
 * the log, which makes re-processing after a crash exact (see `truncateAfter`).
 */
export interface StoredEvent {
  eventId: bigint;
  workspaceId: WorkspaceId;
  inputId: InputId;
  partition: number;
  logOffset: number;
  eventIndex: number;
  mpid: Mpid;
  environment: Environment;
  eventType: EventType;
  eventName: string | null;
  customEventType: string | null;
  timestampMs: number;
  receivedAtMs: number;
  sessionUuid: string | null;
  sourceMessageId: string | null;
  sourceRequestId: string | null;
  platform: string | null;
  data: Record<string, unknown>;
  userAttributes: Record<string, unknown>;
  userIdentities: Record<string, unknown>;
  deviceInfo: Record<string, unknown> | null;
  applicationInfo: Record<string, unknown> | null;
  /** Set on a copy made by aliasing: the MPID whose event this was. */
  aliasedFrom: Mpid | null;
  /** The event's data plan violations (the data-plan stage's tag), null when it has none. */
  violations: readonly object[] | null;
}

export interface EventFilter {
  workspaceId: WorkspaceId;
  mpid?: Mpid;
  eventType?: EventType;
  /** Only the events of batches these inputs sent (none: of no input). */
  inputIds?: readonly InputId[];
}

/** Which events a {@link EventStore.scan} reads: one workspace's, never aliasing's copies. */
export interface EventScan {
  workspaceId: WorkspaceId;
  /** Only these event types (all when absent). */
  eventTypes?: readonly EventType[];
  /** Only events of this name (an event's name, a screen view's screen name: the `eventName` column). */
  eventName?: string;
  /** Only custom events of this custom event type. */
  customEventType?: string;
  /** Only events at or after this time. */
  sinceMs?: number;
  /**
   * Only events whose `data` matches, for every entry, at least one of its field matches (an AND
   * of ORs), e.g. `[[{ path: ['product_action', 'action'], anyOf: ['purchase'] }]]`.
   */
  dataFields?: readonly (readonly DataFieldMatch[])[];
  /** Only the events of users after this one (in the scan's order of users): where an interrupted scan resumes. */
  afterMpid?: Mpid;
  /**
   * Only events from these log positions: per partition, at or below the offset (a partition not
   * named is not read). How a computation from history hands over to one kept as records are
   * processed without counting an event twice or missing one.
   */
  upTo?: ReadonlyMap<number, number>;
}

/**
 * A string field of an event's `data`, by its path of keys, that equals one of `anyOf`; with
 * `orMissing`, events where the field is missing, empty or not a string match too.
 */
export interface DataFieldMatch {
  readonly path: readonly string[];
  readonly anyOf: readonly string[];
  readonly orMissing?: boolean;
}

/**
 * One user's calculated attribute values, as the event store keeps them for analytics: every
 * active attribute's value the user has, by name, when they were written (`asOfMs`; a `within`
 * value may have changed since).
 */
export interface CalculatedValueRow {
  workspaceId: WorkspaceId;
  mpid: Mpid;
  values: Readonly<Record<string, string | readonly string[]>>;
  asOfMs: number;
}

/** Per user (and time bucket), what a {@link EventStore.tally} counts of the events a scan selects. */
export interface EventTally {
  mpid: Mpid;
  /** The bucket's start (event times floored to a multiple of the bucket size); null without buckets. */
  bucketStartMs: number | null;
  events: number;
  firstMs: number;
  lastMs: number;
}

/** An event as a {@link EventStore.scan} reads it: what a computation over a user's events needs, no more. */
export type ScannedEvent = Pick<StoredEvent, 'mpid' | 'eventType' | 'data' | 'timestampMs' | 'partition' | 'logOffset'>;

/** Where a page of {@link EventStore.batchesOf} ended: the next page starts after this log place. */
export interface BatchCursor {
  readonly partition: number;
  readonly logOffset: number;
}

/** One stored batch of a user, as {@link EventStore.batchesOf} reads it. */
export interface StoredBatch {
  readonly partition: number;
  readonly logOffset: number;
  readonly receivedAtMs: number;
  /**
   * The batch in mParticle's JSON batch format, as JSON text: its stored events in their order,
   * its user attributes and identities, device and application info, consent state, its other
   * top-level fields (environment, ip, timestamp, context...) and its `mpid`. Numbers keep every
   * digit (the text is built from the stored JSON, never parsed).
   */
  readonly json: string;
}

/**
 * The event store for analytics (storage role "event store").
 *
 * Contract (`storage/contracts/event-store.contract.ts`): `append` stores one row per event of
 * each record, with exactly the columns `storedEventsOf(record)` describes, durable when it
 * resolves;
 * `truncateAfter(p, o)` removes exactly the events of partition `p` whose log offset is above
 * `o`, so a processor that resumes from its committed offset writes each event once; `clear`
 * empties the store for a replay. `putCalculatedValues` keeps one row per user (the last put
 * wins).
 *
 * @example
 *   await store.append(records);
 *   const n = await store.count({ workspaceId, eventType: 'custom_event' });
 */
export interface EventStore {
  append(records: readonly LogRecord[]): Promise<void>;
  truncateAfter(partition: number, offset: number): Promise<number>;
  clear(): Promise<void>;
  /**
   * Aliasing: copies the events of `from` whose time lies in [startMs, endMs] to `to`, marked
   * as aliased from `from` (copies of copies are not made). Returns how many were copied.
   */
  copyEvents(workspaceId: WorkspaceId, from: Mpid, to: Mpid, startMs: number, endMs: number): Promise<number>;
  count(filter: EventFilter): Promise<number>;
  list(filter: EventFilter, limit: number): Promise<StoredEvent[]>;
  /**
   * Reads every event the scan selects, ordered by user, then event time, then log position (the
   * order they were processed in), handing them to `onChunk` a chunk at a time (a user's events
   * may span chunks); the next chunk is read once `onChunk` resolves.
   */
  scan(query: EventScan, onChunk: (events: ScannedEvent[]) => Promise<void>): Promise<void>;
  /** How many users a {@link scan} with this query reads events of (its progress's total). */
  scanUsers(query: EventScan): Promise<number>;
  /**
   * A workspace's users (every MPID with a batch stored), in MPID order after `afterMpid`, with the
   * user identities of each one's latest batch: who a computation over all users visits.
   */
  users(workspaceId: WorkspaceId, afterMpid: Mpid | null, limit: number): Promise<{ mpid: Mpid; identities: Record<string, string> }[]>;
  /** How many users {@link users} lists; with `inputIds`, only those who sent a batch through one of these inputs. */
  userCount(workspaceId: WorkspaceId, inputIds?: readonly InputId[]): Promise<number>;
  /**
   * Counts, in the store, the events a {@link scan} with this query would read: per user and, with
   * `bucketMs`, per time bucket, how many and their first and last event times, ordered by user then
   * bucket. `onUsers` receives how many users there are before `onChunk` receives the first tallies;
   * the next chunk is read once `onChunk` resolves.
   */
  tally(
    query: EventScan,
    bucketMs: number | undefined,
    onUsers: (users: number) => Promise<void>,
    onChunk: (tallies: EventTally[]) => Promise<void>,
  ): Promise<void>;
  /**
   * One user's stored batches (those of batches the user sent, not aliasing's copies of others'
   * events), in log order after `after`, at most `limit`: an access request's export reads them a
   * page at a time. A batch lists the events it had stored (blocked ones are not).
   */
  batchesOf(workspaceId: WorkspaceId, mpid: Mpid, after: BatchCursor | null, limit: number): Promise<StoredBatch[]>;
  /** Writes users' calculated values (see {@link CalculatedValueRow}), in one transaction. */
  putCalculatedValues(rows: readonly CalculatedValueRow[]): Promise<void>;
  /** A user's calculated values as stored. */
  calculatedValues(workspaceId: WorkspaceId, mpid: Mpid): Promise<CalculatedValueRow | undefined>;
  /**
   * Erases some users of one workspace (the store's part of a GDPR erasure), all in one
   * transaction (a store may serve it with one scan): each user's events (aliasing's copies of
   * others' events under the user's MPID included), the copies aliasing made of the user's events
   * under other MPIDs (they are the user's activity, and what their batches shared is the user's),
   * the user's batches (attributes, identities, device, consent) and calculated values. Answers how
   * many rows it removed (0 for unknown users, and for none).
   */
  eraseUsers(workspaceId: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
  close(): Promise<void>;
}
