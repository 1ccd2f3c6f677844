import type { BatchEvent } from '../model/batch.ts';
import type { DataPlanMatch } from './data-plan.ts';

type Path = [type: string, first: string, second: string];

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Where an event sits in a {@link MatchTree}: the type of the match {@link eventMatch} gives it,
 * then its criteria in {@link matchPath}'s order. Events no data point can describe sit under
 * their own event type (a commerce event with no action under `commerce_event`). Written into
 * `into` so a lookup allocates nothing.
 */
function eventPath(event: BatchEvent, into: Path): Path {
  const data = event.data;
  let type: string = event.event_type;
  let first = '';
  let second = '';
  switch (event.event_type) {
    case 'custom_event':
      first = text(data.custom_event_type);
      second = text(data.event_name);
      break;
    case 'screen_view':
      second = text(data.screen_name);
      break;
    case 'commerce_event':
      if (isObject(data.product_action)) {
        type = 'product_action';
        second = text(data.product_action.action);
      } else if (isObject(data.promotion_action)) {
        type = 'promotion_action';
        second = text(data.promotion_action.action);
      } else if (data.product_impressions) {
        type = 'product_impression';
      }
      break;
    case 'application_state_transition':
      second = text(data.application_transition_type);
      break;
    default:
      // Criterialess (session_start...) and unplannable (push, profile...) types: the type alone.
      break;
  }
  into[0] = type;
  into[1] = first;
  into[2] = second;
  return into;
}

/** Where a data point's match sits in a {@link MatchTree}. */
export function matchPath(match: DataPlanMatch): Path {
  switch (match.type) {
    case 'custom_event':
      return [match.type, match.criteria.custom_event_type, match.criteria.event_name];
    case 'screen_view':
      return [match.type, '', match.criteria.screen_name];
    case 'product_action':
    case 'promotion_action':
      return [match.type, '', match.criteria.action];
    case 'application_state_transition':
      return [match.type, '', match.criteria.application_transition_type];
    default:
      return [match.type, '', ''];
  }
}

/**
 * Values by data point match: match type, then first criterion, then second (`''` where there is
 * none): `custom_event` → custom event type → event name, `screen_view` → `''` → screen name,
 * `session_start` → `''` → `''`. An event is looked up with the strings of the batch itself,
 * which costs far less than building a match and a `matchKey` string per event: the data-plan
 * stage and the catalog look up every event Quanta processes.
 */
export class MatchTree<T> {
  private readonly types = new Map<string, Map<string, Map<string, T>>>();
  private readonly scratch: Path = ['', '', ''];

  /** The value for an event's match, if there is one. */
  get(event: BatchEvent): T | undefined {
    const path = eventPath(event, this.scratch);
    return this.at(path[0], path[1], path[2]);
  }

  /** The value for an event's match, made by `create` (from the event) on first sight. */
  getOrCreate(event: BatchEvent, create: (event: BatchEvent) => T): T {
    const path = eventPath(event, this.scratch);
    const [type, first, second] = path;
    return this.at(type, first, second) ?? this.set(type, first, second, create(event));
  }

  /** The value at a match type and its criteria (`''` where there is none). */
  at(type: string, first = '', second = ''): T | undefined {
    return this.types.get(type)?.get(first)?.get(second);
  }

  /** Sets and returns the value at a match type and its criteria. */
  set(type: string, first: string, second: string, value: T): T {
    let firsts = this.types.get(type);
    if (!firsts) this.types.set(type, (firsts = new Map()));
    let seconds = firsts.get(first);
    if (!seconds) firsts.set(first, (seconds = new Map()));
    seconds.set(second, value);
    return value;
  }

  /** Sets the value of a data point's match. */
  setMatch(match: DataPlanMatch, value: T): void {
    const [type, first, second] = matchPath(match);
    this.set(type, first, second, value);
  }

  *values(): IterableIterator<T> {
    for (const firsts of this.types.values()) {
      for (const seconds of firsts.values()) yield* seconds.values();
    }
  }
}
