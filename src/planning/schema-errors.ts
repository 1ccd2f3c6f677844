import type { ErrorObject, ValidateFunction } from 'ajv';
import type { ValidationError } from './data-plan.ts';

/**
 * Runs a compiled data point schema (the first-error check, then, on failure, the all-errors
 * validator) and converts Ajv's errors to mParticle validation errors (undefined when the data is
 * valid, so the common case allocates nothing),
 * the way `@mparticle/data-planning-node`'s JSONSchemaValidator does: nulls are stripped before
 * validation (a null attribute counts as absent), `error_pointer` is `#` plus the failing node's
 * JSON pointer (the parent object for `required` and `additionalProperties`), `key` its last
 * segment (the extra property for `additionalProperties`).
 */
export function schemaErrors(point: { check: ValidateFunction; validate: ValidateFunction }, data: Record<string, unknown>): ValidationError[] | undefined {
  const stripped = stripNulls(data);
  if (point.check(stripped)) return undefined;
  point.validate(stripped);
  return (point.validate.errors ?? []).map((e) => toValidationError(e, data));
}

/** Whether an object has a null/undefined member, in it or in its objects (not arrays). */
function hasNulls(value: Record<string, unknown>): boolean {
  for (const k in value) {
    const v = value[k];
    if (v === null || v === undefined) return true;
    if (typeof v === 'object' && !Array.isArray(v) && hasNulls(v as Record<string, unknown>)) return true;
  }
  return false;
}

/**
 * The object without null/undefined members, recursing into objects (not arrays): the object
 * itself when it has none (most have none, and this runs for every validated event).
 */
export function stripNulls(value: Record<string, unknown>): Record<string, unknown> {
  if (!hasNulls(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'object' && !Array.isArray(v) ? stripNulls(v as Record<string, unknown>) : v;
  }
  return out;
}

/** Splits a JSON pointer (`/data/custom_attributes/a~1b`) into its unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  const segments: string[] = [];
  for (const s of pointer.split('/')) {
    if (s === '' || s === '#') continue;
    segments.push(s.includes('~') ? s.replace(/~1/g, '/').replace(/~0/g, '~') : s);
  }
  return segments;
}

function valueAt(data: unknown, segments: readonly string[]): unknown {
  let node = data;
  for (const s of segments) {
    if (typeof node === 'object' && node !== null && s in node) node = (node as Record<string, unknown>)[s];
  }
  return node;
}

const actualOf = (value: unknown): string | number | undefined =>
  typeof value === 'string' || typeof value === 'number' ? value : JSON.stringify(value);

function toValidationError(e: ErrorObject, data: Record<string, unknown>): ValidationError {
  const segments = pointerSegments(e.instancePath);
  const base: ValidationError = {
    validation_error_type: 'unknown',
    error_pointer: `#${e.instancePath}`,
    schema_keyword: e.keyword,
  };
  const key = segments.at(-1);
  if (key !== undefined) base.key = key;
  const actual = actualOf(valueAt(data, segments));
  if (actual !== undefined) base.actual = actual;
  const message = e.message ?? e.keyword;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'multipleOf':
    case 'maximum':
    case 'exclusiveMaximum':
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maxLength':
    case 'minLength':
    case 'pattern':
    case 'format':
    case 'type':
    case 'const':
    case 'enum':
      return { ...base, validation_error_type: 'invalid_value', expected: message };
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      return { ...base, validation_error_type: 'unplanned', key: extra, actual: extra };
    }
    case 'additionalItems':
      return { ...base, validation_error_type: 'unplanned' };
    case 'required': {
      const { actual: _absent, ...rest } = base;
      return { ...rest, validation_error_type: 'missing_required', expected: String(params.missingProperty) };
    }
    case 'dependencies':
      return { ...base, validation_error_type: 'missing_required', expected: message };
    case 'patternProperties':
      return { ...base, validation_error_type: 'invalid_value' };
    default:
      return { ...base, expected: message };
  }
}
