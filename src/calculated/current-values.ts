import type { UserCalculatedState } from './calculated-store.ts';
import type { CalculatedValue } from './calculations.ts';
import type { WorkspaceAttributes } from './attribute-registry.ts';
import { type ActiveAttribute, userState } from './user-values.ts';
import { nextChangeMs, valueAt } from './windows.ts';

/**
 * A user's current calculated values, what the stage hands each of the user's records as computed
 * attributes, kept up to date rather than computed anew each time: a computation costs only the
 * values whose states changed since, and those a `within` window moved (each value holds until
 * its window's next change).
 */
export interface CurrentValues {
  /** The attributes they are values of: after a reload of the definitions they are computed anew. */
  readonly attributes: WorkspaceAttributes;
  /** By attribute name (values that are nothing yet are left out). Changed in place by the next computation. */
  readonly byName: Record<string, CalculatedValue>;
  /** How many values `byName` holds. */
  size: number;
  /** Per attribute id, until when its value holds (Infinity: until its state changes). */
  readonly untilMs: Map<number, number>;
  /** When they were computed for, and the earliest `untilMs`: outside [fromMs, nextMs) some must be computed again. */
  fromMs: number;
  nextMs: number;
}

/**
 * The user's values at `at`, brought up to date: all of them when the definitions changed or time
 * went back, those whose window moved when time passed one's `untilMs`, else those of `changed`.
 */
export function currentValues(
  held: CurrentValues | undefined,
  state: UserCalculatedState,
  attributes: WorkspaceAttributes,
  changed: ReadonlySet<number>,
  at: number,
): CurrentValues {
  if (held === undefined || held.attributes !== attributes || at < held.fromMs) {
    const fresh: CurrentValues = { attributes, byName: {}, size: 0, untilMs: new Map(), fromMs: at, nextMs: Infinity };
    for (const attribute of attributes.all) update(fresh, state, attribute, at);
    return fresh;
  }
  if (at >= held.nextMs) {
    held.fromMs = at;
    held.nextMs = Infinity;
    for (const attribute of attributes.all) {
      const until = held.untilMs.get(attribute.id) ?? Infinity;
      if (at >= until || changed.has(attribute.id)) update(held, state, attribute, at);
      else held.nextMs = Math.min(held.nextMs, until);
    }
    return held;
  }
  for (const id of changed) {
    const attribute = attributes.byId.get(id);
    if (attribute) update(held, state, attribute, at);
  }
  return held;
}

function update(values: CurrentValues, state: UserCalculatedState, attribute: ActiveAttribute, at: number): void {
  const own = userState(attribute, state);
  const value = valueAt(attribute.definition, own, at);
  const until = nextChangeMs(attribute.definition, own, at) ?? Infinity;
  values.untilMs.set(attribute.id, until);
  values.nextMs = Math.min(values.nextMs, until);
  const had = Object.hasOwn(values.byName, attribute.name);
  if (value === undefined) {
    if (had) {
      delete values.byName[attribute.name];
      values.size -= 1;
    }
    return;
  }
  values.byName[attribute.name] = value;
  if (!had) values.size += 1;
}
