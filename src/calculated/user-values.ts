import type { CalculatedValueRow } from '../analytics/event-store.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { CalculatedAttribute, UserCalculatedState } from './calculated-store.ts';
import type { CalculatedValue } from './calculations.ts';
import type { Definition } from './definition.ts';
import { reviveDefinition } from './parse-definition.ts';
import { type AttributeState, mergeStates, newState, valueAt } from './windows.ts';

/** An attribute as it is computed: its active definition, revived once. */
export interface ActiveAttribute {
  readonly id: number;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  readonly revision: number;
  readonly definition: Definition;
}

/** The attributes of `stored` that have an active definition, ready to compute. */
export function activeAttributes(stored: readonly CalculatedAttribute[]): ActiveAttribute[] {
  return stored.flatMap((a) =>
    a.active_definition
      ? [{ id: a.id, workspaceId: a.workspaceId, name: a.name, revision: a.revision, definition: reviveDefinition(a.active_definition) }]
      : [],
  );
}

/**
 * A user's whole state of one attribute: the seed, then what was computed from history at
 * activation, then what was counted as events were processed (older first, as `mergeStates`
 * wants); states of another revision (an earlier definition) do not count.
 */
export function userState(attribute: ActiveAttribute, user: UserCalculatedState | undefined): AttributeState {
  const parts: AttributeState[] = [];
  const seed = user?.seeds.get(attribute.id);
  if (seed && seed.calculation_type === attribute.definition.calculation_type) parts.push(seed);
  const base = user?.base.get(attribute.id);
  if (base?.revision === attribute.revision) parts.push(base.state);
  const live = user?.live.get(attribute.id);
  if (live?.revision === attribute.revision) parts.push(live.state);
  // One part is the state itself: nothing to merge.
  return parts.length === 1 ? parts[0]! : parts.reduce((a, b) => mergeStates(a, b), newState(attribute.definition));
}

/**
 * A user's calculated attribute values at `nowMs`, by attribute name, as the Profile API, the
 * live stream and the event store show them (values that are nothing yet are left out).
 */
export function userValues(attributes: readonly ActiveAttribute[], user: UserCalculatedState | undefined, nowMs: number): Record<string, CalculatedValue> {
  const values: Record<string, CalculatedValue> = {};
  for (const attribute of attributes) {
    const value = valueAt(attribute.definition, userState(attribute, user), nowMs);
    if (value !== undefined) values[attribute.name] = value;
  }
  return values;
}

/** The event store's row of a user's values of these attributes at `nowMs` (see `EventStore.putCalculatedValues`). */
export function valuesRow(attributes: readonly ActiveAttribute[], ws: WorkspaceId, mpid: Mpid, user: UserCalculatedState | undefined, nowMs: number): CalculatedValueRow {
  return { workspaceId: ws, mpid, values: userValues(attributes, user, nowMs), asOfMs: nowMs };
}

/** The user's states with `state` as the attribute's base state (of its revision): what an activation computes a user's values from. */
export function withBase(user: UserCalculatedState | undefined, attribute: ActiveAttribute, state: AttributeState): UserCalculatedState {
  return {
    live: user?.live ?? new Map(),
    seeds: user?.seeds ?? new Map(),
    base: new Map(user?.base).set(attribute.id, { revision: attribute.revision, state }),
  };
}
