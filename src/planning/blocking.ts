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
}

/** An unplanned property inside a validated object (not the unplanned event itself). */
const isUnplannedProperty = (e: ValidationError): e is ValidationError & { key: string } =>
  e.validation_error_type === 'unplanned' && e.schema_keyword === 'additionalProperties' && e.key !== undefined;

/** Removes `key` from the object at `pointer` inside `root` (a copy), returning the value removed. */
function removeAt(root: unknown, pointer: string, key: string): { found: boolean; value: unknown } {
  let node = root;
  for (const s of pointerSegments(pointer)) {
    if (typeof node !== 'object' || node === null) return { found: false, value: undefined };
    node = (node as Record<string, unknown>)[s];
  }
  if (typeof node !== 'object' || node === null || !(key in node)) return { found: false, value: undefined };
  const holder = node as Record<string, unknown>;
  const value = holder[key];
  delete holder[key];
  return { found: true, value };
}

/**
 * Applies a plan's validation actions to a batch's findings. Only unplanned data is blocked
 * (mParticle cannot block invalid data, nor unplanned identities); the batch is copied first.
 */
export function blockUnplanned(
  actions: Readonly<Required<DataPlanValidationActions>>,
  batch: Batch,
  findings: readonly Finding[],
): { blocked: BlockedData; batch: Batch | null } {
  const copy = structuredClone(batch);
  const blocked: BlockedData = { batch: false, events: [], event_attributes: [], user_attributes: {} };
  const dropEvents = new Set<number>();
  for (const f of findings) {
    const errors = f.result.data.validation_errors;
    if (f.part === 'event') {
      const event = copy.events[f.index];
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
        const removed = removeAt(event, e.error_pointer, e.key);
        if (removed.found) blocked.event_attributes.push({ event_index: f.index, error_pointer: e.error_pointer, key: e.key, value: removed.value });
      }
    } else if (f.part === 'user_attributes') {
      const extras = errors.filter(isUnplannedProperty);
      if (extras.length === 0) continue;
      if (actions.user_attribute === 'drop_batch') blocked.batch = true;
      if (actions.user_attribute !== 'drop_attribute') continue;
      for (const e of extras) {
        const removed = removeAt(copy.user_attributes, e.error_pointer, e.key);
        if (removed.found) blocked.user_attributes[e.key] = removed.value;
      }
    }
  }
  for (const i of [...dropEvents].sort((a, b) => a - b)) {
    const event = batch.events[i];
    if (event) blocked.events.push({ event_index: i, event: structuredClone(event) });
  }
  copy.events = copy.events.filter((_, i) => !dropEvents.has(i));
  return { blocked, batch: blocked.batch ? null : copy };
}
