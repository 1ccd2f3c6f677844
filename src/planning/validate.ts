import type { Batch, BatchEvent } from '../model/batch.ts';
import { type BlockedData, blockUnplanned, type Finding } from './blocking.ts';
import { type DataPlanMatch, type DataPlanValidationActions, eventMatch, type ValidationError, type ValidationResult } from './data-plan.ts';
import type { CompiledPlan, CompiledPoint } from './plan-compiler.ts';
import { schemaErrors, stripNulls } from './schema-errors.ts';

export type { BlockedData, BlockedEventAttribute, Finding } from './blocking.ts';

export interface BatchValidation {
  /** mParticle's `/validate` `results`: one entry per event / batch part with errors, in batch order. */
  results: ValidationResult[];
  /** The same results by the part they are about, events by their index in the batch. */
  findings: Finding[];
  /** What the plan's `settings.validation_actions` block. */
  blocked: BlockedData;
  /** The batch without the blocked parts (the batch itself when nothing is blocked); `null` when a `drop_batch` action fired. */
  batch: Batch | null;
}

const NO_VALUES: Record<string, unknown> = Object.freeze({});
const NOTHING_BLOCKED: BlockedData = Object.freeze({ batch: false, events: [], event_attributes: [], user_attributes: {}, user_identities: {} });

const result = (validation_errors: ValidationError[], match?: DataPlanMatch): ValidationResult => ({
  event_type: 'validation_result',
  data: match ? { match, validation_errors } : { validation_errors },
});

/** The key the oracle gives an unplanned event: its name, else its event type. */
function unplannedKey(event: BatchEvent): string {
  const name = event.event_type === 'screen_view' ? event.data?.screen_name : event.data?.event_name;
  return (event.event_type === 'screen_view' || event.event_type === 'custom_event') && name ? name : event.event_type;
}

function validateEvent(plan: CompiledPlan, event: BatchEvent, index: number): Finding | undefined {
  const point = plan.eventPoints.get(event);
  if (!point) return unmatched(event, index);
  const errors = schemaErrors(point, event as unknown as Record<string, unknown>);
  return errors && { part: 'event', index, plannable: true, result: result(errors, point.match) };
}

/** The finding of an event no data point of the plan matches. */
function unmatched(event: BatchEvent, index: number): Finding {
  const match = eventMatch(event);
  if (!match) {
    // Nothing in a plan can describe this event (push, profile, change events...): it is reported
    // unplanned like mParticle's validator does, but never blocked as an unplanned event.
    const errors: ValidationError[] = [{ validation_error_type: 'unplanned', key: 'unknown', error_pointer: '#' }];
    return { part: 'event', index, plannable: false, result: result(errors) };
  }
  const errors: ValidationError[] = [{ validation_error_type: 'unplanned', key: unplannedKey(event), error_pointer: '#' }];
  return { part: 'event', index, plannable: true, result: result(errors, match) };
}

/**
 * User attributes or identities against their data point. With no data point in the plan, every
 * one sent is unplanned (reported like an `additionalProperties` violation at the root).
 */
function validateUserPart(
  part: 'user_attributes' | 'user_identities',
  point: CompiledPoint | undefined,
  values: Record<string, unknown> | null | undefined,
): Finding | undefined {
  let errors: ValidationError[] | undefined;
  if (point) {
    errors = schemaErrors(point, values ?? NO_VALUES);
  } else {
    errors = Object.keys(stripNulls(values ?? NO_VALUES)).map((key) => ({
      validation_error_type: 'unplanned',
      key,
      error_pointer: '#',
      actual: key,
      schema_keyword: 'additionalProperties',
    }));
  }
  if (!errors || errors.length === 0) return undefined;
  return { part, index: 0, plannable: true, result: result(errors, point?.match ?? { type: part }) };
}

/**
 * What a batch breaks in a compiled plan version: each event against the data point its match
 * finds (or `unplanned`), then the user attributes and the user identities. Pure data, so a
 * worker thread can compute it from the batch's JSON text ({@link ValidationWorker}).
 */
export function findingsOf(plan: CompiledPlan, batch: Batch): Finding[] {
  const findings: Finding[] = [];
  const events = batch.events ?? [];
  for (let i = 0; i < events.length; i++) {
    const finding = validateEvent(plan, events[i]!, i);
    if (finding) findings.push(finding);
  }
  const attributes = validateUserPart('user_attributes', plan.userAttributes, batch.user_attributes);
  if (attributes) findings.push(attributes);
  const identities = validateUserPart('user_identities', plan.userIdentities, batch.user_identities);
  if (identities) findings.push(identities);
  return findings;
}

/** The validation of `batch` from its {@link findingsOf}: the results, and what the plan's validation `actions` block. */
export function applyFindings(actions: Readonly<Required<DataPlanValidationActions>>, batch: Batch, findings: Finding[]): BatchValidation {
  if (findings.length === 0) return { results: [], findings, blocked: NOTHING_BLOCKED, batch };
  const { blocked, batch: kept } = blockUnplanned(actions, batch, findings);
  return { results: findings.map((f) => f.result), findings, blocked, batch: kept };
}

/**
 * Validates a batch against a compiled plan version ({@link findingsOf}). Returns mParticle's
 * validation results, the parts the plan's validation actions block, and a blocked-free copy of
 * the batch. The input batch is not modified.
 */
export function validateBatch(plan: CompiledPlan, batch: Batch): BatchValidation {
  return applyFindings(plan.actions, batch, findingsOf(plan, batch));
}
