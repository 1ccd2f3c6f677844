import type { BatchEvent } from '../model/batch.ts';
import { type DataPlanMatch, eventPath, type MatchPath, matchPath } from './data-plan.ts';

/**
 * Values by data point match, nested by {@link MatchPath}: match type, then first criterion, then
 * second. An event is looked up with the strings of the batch itself, which costs far less than
 * building a match and a `matchKey` string per event: the data-plan stage and the catalog look up
 * every event Quanta processes.
 */
export class MatchTree<T> {
  private readonly types = new Map<string, Map<string, Map<string, T>>>();
  private readonly scratch: MatchPath = ['', '', ''];

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
