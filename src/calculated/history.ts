import type { DataFieldMatch, EventScan, EventStore, EventTally, ScannedEvent } from '../analytics/event-store.ts';
import type { Mpid } from '../kernel/ids.ts';
import { calculationOf } from './calculations.ts';
import { PRODUCT_ACTIONS } from '../model/event-types.ts';
import { type DataPoint, IMPRESSION_ACTION, isOneOf, PROMOTION_ACTIONS } from './definition.ts';
import type { ActiveAttribute } from './user-values.ts';
import { type AttributeState, newState, observeInto, rangeOf, stateOfTallies } from './windows.ts';

/** What history is read for: an attribute's events up to the handover, of the users after `afterMpid`. */
export interface HistoryQuery {
  readonly attribute: ActiveAttribute;
  readonly upTo: ReadonlyMap<number, number>;
  readonly afterMpid?: Mpid;
}

export interface HistoryReceiver {
  /** How many users have events to read (called first). */
  users(total: number): Promise<void>;
  /** One user's state from history, by user in the event store's order. */
  user(mpid: Mpid, state: AttributeState): Promise<void>;
}

/** How history is read: the event store tallies the events, or Quanta observes each of them. */
export type HistoryStrategy = 'tally' | 'observe';

/**
 * Reads each user's state of an attribute from the event store, as if its events had been
 * observed one by one in the stage (in their order: by time, then log position).
 *
 * Two ways, the same states: when the calculation looks at events, not values (count, first and
 * last timestamp), the definition has no conditions and the event store can select exactly the
 * data point's events ({@link dataPointFilter}), the store tallies them per user and bucket in SQL
 * (`EventStore.tally`), and no event leaves it; otherwise every candidate event is read and
 * observed as the stage observes it (`EventStore.scan`, with the filter narrowing the reading).
 */
export async function readHistory(
  query: HistoryQuery,
  events: Pick<EventStore, 'scan' | 'scanUsers' | 'tally'>,
  to: HistoryReceiver,
  strategy: HistoryStrategy = strategyOf(query.attribute),
): Promise<void> {
  const { attribute } = query;
  const def = attribute.definition;
  const scan = scanOf(query);
  if (strategy === 'tally') {
    let mpid: Mpid | undefined;
    let tallies: EventTally[] = [];
    const flush = async () => {
      if (mpid === undefined) return;
      const state = stateOfTallies(def, tallies);
      if (!state) throw new Error(`A ${def.calculation_type} is not computed from tallies`);
      await to.user(mpid, state);
    };
    await events.tally(scan, rangeOf(def).bucketMs, to.users, async (chunk) => {
      for (const t of chunk) {
        if (t.mpid !== mpid) {
          await flush();
          mpid = t.mpid;
          tallies = [];
        }
        tallies.push(t);
      }
    });
    await flush();
    return;
  }
  await to.users(await events.scanUsers(scan));
  let user: { mpid: Mpid; state: AttributeState } | undefined;
  await events.scan(scan, async (chunk: ScannedEvent[]) => {
    for (const e of chunk) {
      if (user?.mpid !== e.mpid) {
        if (user) await to.user(user.mpid, user.state);
        user = { mpid: e.mpid, state: newState(def) };
      }
      // History knows event times only: they stand for the batch's time too.
      observeInto(def, user.state, { event_type: e.eventType, data: e.data }, { timestamp_unixtime_ms: e.timestampMs }, e.timestampMs);
    }
  });
  if (user) await to.user(user.mpid, user.state);
}

/** The tally when it gives the same states as observing each event (see {@link readHistory}). */
export function strategyOf(attribute: ActiveAttribute): HistoryStrategy {
  const def = attribute.definition;
  const tallied = calculationOf(def.calculation_type).fromTally !== undefined && def.conditions.length === 0;
  return tallied && dataPointFilter(def.datapoint).exact ? 'tally' : 'observe';
}

/**
 * What to read of the event store for an attribute: the data point's events ({@link dataPointFilter}),
 * since its date range's start, up to the handover.
 */
function scanOf(query: HistoryQuery): EventScan {
  const { datapoint } = query.attribute.definition;
  const from = rangeOf(query.attribute.definition).fromMs;
  return {
    workspaceId: query.attribute.workspaceId,
    eventTypes: [datapoint.event_type],
    upTo: query.upTo,
    ...dataPointFilter(datapoint).scan,
    ...(Number.isFinite(from) ? { sinceMs: from } : {}),
    ...(query.afterMpid !== undefined ? { afterMpid: query.afterMpid } : {}),
  };
}

/**
 * The event store's filter for a data point's events (its type aside), and whether it is exact or
 * only narrows (each event read is then matched again as the stage matches it). It follows
 * `matchesDataPoint`: a custom event's or a screen view's name is the event store's `eventName`
 * column (`eventNameOf` and `dataPointNameOf` agree); a commerce event's name counts only when it
 * has one, its action is the product action (the two spellings of "remove from wishlist" being
 * one) or the promotion action, each only where the action is one of its list; impressions, and unnamed custom events and screen views, are only
 * narrowed by type.
 */
function dataPointFilter(dp: DataPoint): { scan: Pick<EventScan, 'eventName' | 'customEventType' | 'dataFields'>; exact: boolean } {
  switch (dp.event_type) {
    case 'custom_event':
    case 'screen_view': {
      const customType = dp.event_type === 'custom_event' && dp.custom_event_type !== null ? { customEventType: dp.custom_event_type } : {};
      return dp.event_name === null ? { scan: customType, exact: false } : { scan: { eventName: dp.event_name, ...customType }, exact: true };
    }
    case 'commerce_event': {
      const fields: DataFieldMatch[][] = [];
      if (dp.event_name !== null) fields.push([{ path: ['event_name'], anyOf: [dp.event_name], orMissing: true }]);
      const wanted = dp.custom_event_type;
      if (wanted === IMPRESSION_ACTION) return { scan: { dataFields: fields }, exact: false };
      if (wanted !== null) {
        // Ingest validates both actions against their lists: an action of the other list never matches.
        const category = dp.attribute_category;
        const product = category !== 'promotion_attribute' && isOneOf(PRODUCT_ACTIONS, wanted) ? [{ path: ['product_action', 'action'], anyOf: spellingsOf(wanted) }] : [];
        const promotion = category !== 'product_attribute' && isOneOf(PROMOTION_ACTIONS, wanted) ? [{ path: ['promotion_action', 'action'], anyOf: [wanted] }] : [];
        fields.push([...product, ...promotion]);
      }
      return { scan: { dataFields: fields }, exact: true };
    }
    default:
      return { scan: {}, exact: true };
  }
}

/** A product action's spellings: "remove from wishlist" has two. */
function spellingsOf(action: string): string[] {
  const wishlist = ['remove_from_wishlist', 'remove_from_wish_list'];
  return wishlist.includes(action) ? wishlist : [action];
}
