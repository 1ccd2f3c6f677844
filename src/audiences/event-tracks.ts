import { eventNameOf } from '../analytics/event-row.ts';
import type { Batch, BatchEvent } from '../model/batch.ts';
import type { EventTrack } from './audience-store.ts';
import { testCondition } from './conditions.ts';
import { type AudienceNode, type EventCriterion, leavesOf, WISHLIST_ACTIONS } from './definition.ts';

/**
 * What the audiences stage keeps of a user's events: per event criterion of each audience revision
 * (`trackKey`), an {@link EventTrack}: how many matching events there were, and the
 * newest few event times. The newest `count + 1` times are enough to know, at any later moment,
 * whether "at least / at most / exactly `count` within the window" holds: the window holds at
 * least `k` events exactly when the `k`-th newest time is in it. So the state per criterion is a
 * count and at most 1,001 numbers, whatever the history, and nothing is ever rescanned. Tracks
 * are an audience revision's own (two audiences with the same criterion keep two): a revision's
 * tracks start empty when it is activated, and its activation adds what history holds before its
 * handover, so no event is counted twice.
 */

/** What tracks a workspace's audiences need: each key's criterion and how many times to keep. */
export interface TrackPlan {
  /** Every track planned, by key (a user's tracks of other keys belong to revisions no longer active). */
  readonly byKey: ReadonlyMap<string, PlannedTrack>;
  /** By event type, then event name (`''` for criteria naming none), the same tracks: an event is matched against its name's and the unnamed. */
  readonly byName: ReadonlyMap<string, ReadonlyMap<string, readonly PlannedTrack[]>>;
}

/** One track of a plan: its key, its criterion, how many times it keeps and whose it is. */
export interface PlannedTrack {
  readonly key: string;
  readonly criterion: EventCriterion;
  readonly keep: number;
  readonly audienceId: number;
}

/** An audience revision: whose tracks. */
export interface TrackOwner {
  readonly id: number;
  readonly revision: number;
  readonly definition: AudienceNode;
}

const keysOf = new WeakMap<AudienceNode, Map<EventCriterion, string>>();

/**
 * Each event criterion's track key in an audience revision: `<id>.<revision>.<n>`, criteria that
 * differ only in their count or window (the same selector and date range) sharing one track.
 */
function trackKeysOf(owner: TrackOwner): Map<EventCriterion, string> {
  let keys = keysOf.get(owner.definition);
  if (!keys) {
    keys = new Map();
    const bySelector = new Map<string, string>();
    for (const leaf of leavesOf(owner.definition)) {
      if (!('event' in leaf)) continue;
      const c = leaf.event;
      const selector = JSON.stringify([c.event_type, c.event_name, c.custom_event_type, c.product_action, c.attributes, c.afterMs, c.beforeMs]);
      let key = bySelector.get(selector);
      if (key === undefined) bySelector.set(selector, (key = `${owner.id}.${owner.revision}.${bySelector.size}`));
      keys.set(c, key);
    }
    keysOf.set(owner.definition, keys);
  }
  return keys;
}

/** The key of a criterion's track in an audience revision (see {@link trackKeysOf}). */
export function trackKey(owner: TrackOwner, c: EventCriterion): string {
  const key = trackKeysOf(owner).get(c);
  if (key === undefined) throw new Error(`criterion ${JSON.stringify(c)} is not one of audience ${owner.id}'s`);
  return key;
}

/** The tracks of these audience revisions: one per distinct key, keeping as many times as its most demanding window needs. */
export function planTracks(owners: readonly TrackOwner[]): TrackPlan {
  const byKey = new Map<string, { key: string; criterion: EventCriterion; keep: number; audienceId: number }>();
  for (const owner of owners) {
    for (const [c, key] of trackKeysOf(owner)) {
      const keep = c.withinMs === null ? 0 : c.count.value + 1;
      const held = byKey.get(key);
      if (!held) byKey.set(key, { key, criterion: c, keep, audienceId: owner.id });
      else held.keep = Math.max(held.keep, keep);
    }
  }
  const byName = new Map<string, Map<string, PlannedTrack[]>>();
  for (const t of byKey.values()) {
    const type = t.criterion.event_type;
    let names = byName.get(type);
    if (!names) byName.set(type, (names = new Map()));
    const name = t.criterion.event_name ?? '';
    names.set(name, [...(names.get(name) ?? []), t]);
  }
  return { byKey, byName };
}

/** An event's time: its own, else its batch's, else when it was received. */
export function eventTimeOf(event: BatchEvent, batch: Pick<Batch, 'timestamp_unixtime_ms'>, receivedAtMs: number): number {
  const own = event.data.timestamp_unixtime_ms;
  if (typeof own === 'number' && Number.isFinite(own)) return own;
  return typeof batch.timestamp_unixtime_ms === 'number' ? batch.timestamp_unixtime_ms : receivedAtMs;
}

/** Adds tracks counted elsewhere (history before a handover) to a user's, in place: their events are disjoint. */
export function mergeTracks(into: Record<string, EventTrack>, add: Readonly<Record<string, EventTrack>>, plan: TrackPlan): void {
  for (const [key, track] of Object.entries(add)) {
    const keep = plan.byKey.get(key)?.keep ?? 0;
    const held = into[key];
    if (!held) {
      into[key] = { n: track.n, recent: track.recent.slice(0, keep) };
      continue;
    }
    held.n += track.n;
    held.recent = [...held.recent, ...track.recent].sort((a, b) => b - a).slice(0, keep);
  }
}

/** A user's tracks of keys no longer planned are dropped, in place. */
export function dropUnplanned(tracks: Record<string, EventTrack>, plan: TrackPlan): void {
  for (const key of Object.keys(tracks)) if (!plan.byKey.has(key)) delete tracks[key];
}

/** Whether an event is one a criterion counts (its date range aside). */
export function matchesCriterion(c: EventCriterion, event: BatchEvent): boolean {
  if (event.event_type !== c.event_type) return false;
  const data = event.data as Record<string, unknown>;
  if (c.event_name !== null && eventNameOf(event) !== c.event_name) return false;
  if (c.custom_event_type !== null && data.custom_event_type !== c.custom_event_type) return false;
  if (c.product_action !== null && !sameAction((data.product_action as { action?: unknown } | undefined)?.action, c.product_action)) return false;
  if (c.attributes.length === 0) return true;
  const attributes = (data.custom_attributes ?? {}) as Record<string, unknown>;
  return c.attributes.every((condition) => testCondition(condition, valueNamed(attributes, condition.name ?? '')));
}

/** The action wanted, in either spelling of "remove from wishlist". */
function sameAction(action: unknown, wanted: string): boolean {
  return action === wanted || (WISHLIST_ACTIONS.includes(wanted) && WISHLIST_ACTIONS.includes(action as string));
}

/** A named value of a bag: exactly, else ignoring case. */
export function valueNamed(bag: Readonly<Record<string, unknown>> | null | undefined, name: string): unknown {
  if (!bag) return undefined;
  if (Object.hasOwn(bag, name)) return bag[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(bag)) if (key.toLowerCase() === lower) return bag[key];
  return undefined;
}

/**
 * Counts an event into the user's tracks (the user's own: changed in place), of the audiences
 * `counts` lets count it; whether any changed, each audience whose tracks did added to `changedAudiences`.
 */
export function trackEvent(
  plan: TrackPlan,
  tracks: Record<string, EventTrack>,
  event: BatchEvent,
  atMs: number,
  changedAudiences?: Set<number>,
  counts?: (audienceId: number) => boolean,
): boolean {
  const names = plan.byName.get(event.event_type);
  if (!names) return false;
  const name = eventNameOf(event);
  const named = name === null || name === '' ? undefined : names.get(name);
  const unnamed = names.get('');
  let changed = false;
  for (const candidates of [named, unnamed]) {
    if (candidates) for (const t of candidates) changed = countInto(t, tracks, event, atMs, changedAudiences, counts) || changed;
  }
  return changed;
}

/** Counts an event into one planned track, if it is the track's and `counts` lets it; whether it did. */
function countInto(
  t: PlannedTrack,
  tracks: Record<string, EventTrack>,
  event: BatchEvent,
  atMs: number,
  changedAudiences: Set<number> | undefined,
  counts: ((audienceId: number) => boolean) | undefined,
): boolean {
  const { key, criterion: c, keep, audienceId } = t;
  if ((counts && !counts(audienceId)) || (c.afterMs !== null && atMs < c.afterMs) || (c.beforeMs !== null && atMs >= c.beforeMs) || !matchesCriterion(c, event)) return false;
  const track = (tracks[key] ??= { n: 0, recent: [] });
  track.n += 1;
  if (keep > 0) {
    let i = 0;
    while (i < track.recent.length && track.recent[i]! > atMs) i += 1;
    if (i < keep) {
      track.recent.splice(i, 0, atMs);
      if (track.recent.length > keep) track.recent.length = keep;
    }
  }
  changedAudiences?.add(audienceId);
  return true;
}
