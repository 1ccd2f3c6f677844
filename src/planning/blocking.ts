import type { Batch, BatchEvent } from '../model/batch.ts';
import type { DataPlanValidationActions, ValidationError, ValidationResult } from './data-plan.ts';
import { pointerSegments } from './schema-errors.ts';

/** One validated part of a batch that had errors. */
export interface Finding {
  part: 'event' | 'user_attributes' | 'user_identities';
  /** The event's index in `batch.events` (0 for the user parts). */
  index: number;
  /** False for events no data point can describe: never blocked as unplanned events. */
  plannable: boolean;
  result: ValidationResult;
}

export interface BlockedEventAttribute {
  event_index: number;
  /** Pointer to the object that held the attribute, e.g. `#/data/custom_attributes`. */
  error_pointer: string;
  key: string;
  value: unknown;
}

export interface BlockedData {
  /** True when a `drop_batch` action fired: nothing of the batch goes on. */
  batch: boolean;
  /** Unplanned events dropped (`event: drop_event`), or events dropped for an unplanned attribute (`event_attribute: drop_event`). */
  events: { event_index: number; event: BatchEvent }[];
  /** Unplanned event attributes removed (`event_attribute: drop_attribute`). */
  event_attributes: BlockedEventAttribute[];
  /** Unplanned user attributes removed (`user_attribute: drop_attribute`). */
  user_attributes: Record<string, unknown>;
  /** Unplanned user identities removed (Quanta's `user_identity: drop_attribute`). */
  user_identities: Record<string, unknown>;
}

/** Whether anything of the batch was blocked. */
export const anythingBlocked = (b: BlockedData): boolean =>
  b.batch || b.events.length > 0 || b.event_attributes.length > 0 || Object.keys(b.user_attributes).length > 0 || Object.keys(b.user_identities).length > 0;

/** An unplanned property inside a validated object (not the unplanned event itself). */
const isUnplannedProperty = (e: ValidationError): e is ValidationError & { key: string } =>
  e.validation_error_type === 'unplanned' && e.schema_keyword === 'additionalProperties' && e.key !== undefined;

/**
 * `root` without `key` in the object at `pointer`, and the value removed. `root` is not changed:
 * the objects on the path are copied (shallowly), everything else is shared.
 */
function without(root: unknown, pointer: string, key: string): { found: false } | { found: true; value: unknown; root: Record<string, unknown> } {
  const remove = (node: unknown, segments: readonly string[]): { found: false } | { found: true; value: unknown; root: Record<string, unknown> } => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return { found: false };
    const object = node as Record<string, unknown>;
    const [head, ...tail] = segments;
    if (head === undefined) {
      if (!(key in object)) return { found: false };
      const { [key]: value, ...rest } = object;
      return { found: true, value, root: rest };
    }
    const inner = remove(object[head], tail);
    return inner.found ? { ...inner, root: { ...object, [head]: inner.root } } : inner;
  };
  return remove(root, pointerSegments(pointer));
}

/**
 * Applies a plan's validation actions to a batch's findings. Only unplanned data is blocked
 * (mParticle cannot block invalid data). The batch is never changed: it is returned as is when
 * nothing is blocked, else a copy without the blocked parts.
 */
export function blockUnplanned(
  actions: Readonly<Required<DataPlanValidationActions>>,
  batch: Batch,
  findings: readonly Finding[],
): { blocked: BlockedData; batch: Batch | null } {
  let copy: Batch | undefined;
  const mutable = (): Batch => (copy ??= { ...batch, events: [...batch.events] });
  const blocked: BlockedData = { batch: false, events: [], event_attributes: [], user_attributes: {}, user_identities: {} };
  const dropEvents = new Set<number>();
  for (const f of findings) {
    const errors = f.result.data.validation_errors;
    if (f.part === 'event') {
      const event = batch.events[f.index];
      if (!event) continue;
      const eventUnplanned = f.plannable && errors.some((e) => e.validation_error_type === 'unplanned' && e.error_pointer === '#' && e.schema_keyword === undefined);
      if (eventUnplanned) {
        if (actions.event === 'drop_batch') blocked.batch = true;
        if (actions.event === 'drop_event') dropEvents.add(f.index);
        continue;
      }
      const extras = errors.filter(isUnplannedProperty);
      if (extras.length === 0) continue;
      if (actions.event_attribute === 'drop_batch') blocked.batch = true;
      if (actions.event_attribute === 'drop_event') dropEvents.add(f.index);
      if (actions.event_attribute !== 'drop_attribute') continue;
      for (const e of extras) {
        const events = mutable().events;
        const removed = without(events[f.index], e.error_pointer, e.key);
        if (!removed.found) continue;
        events[f.index] = removed.root as unknown as BatchEvent;
        blocked.event_attributes.push({ event_index: f.index, error_pointer: e.error_pointer, key: e.key, value: removed.value });
      }
    } else {
      const extras = errors.filter(isUnplannedProperty);
      if (extras.length === 0) continue;
      const action = f.part === 'user_attributes' ? actions.user_attribute : actions.user_identity;
      if (action === 'drop_batch') blocked.batch = true;
      if (action !== 'drop_attribute') continue;
      for (const e of extras) {
        const removed = without(mutable()[f.part], e.error_pointer, e.key);
        if (!removed.found) continue;
        mutable()[f.part] = removed.root;
        blocked[f.part][e.key] = removed.value;
      }
    }
  }
  for (const i of [...dropEvents].sort((a, b) => a - b)) {
    const event = batch.events[i];
    if (event) blocked.events.push({ event_index: i, event });
  }
  if (blocked.batch) return { blocked, batch: null };
  if (dropEvents.size > 0) mutable().events = mutable().events.filter((_, i) => !dropEvents.has(i));
  return { blocked, batch: copy ?? batch };
}
