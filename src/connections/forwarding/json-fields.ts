import type { Problem } from '../stream-batch.ts';

/** A JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `"a", "b", "c"`: the values a field may take, as a problem lists them. */
export const quoted = (values: readonly string[]): string => values.map((v) => `"${v}"`).join(', ');

/** A non-empty string, or undefined. */
export const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Adds a problem for each field of `raw` not in `allowed`, saying what the object may have
 * (`forwarding_rules[0].purpose: unknown field; a ccpa consent rule has type, regulation, action`),
 * so a misspelt field is refused instead of silently ignored.
 */
export function checkFields(raw: Record<string, unknown>, allowed: readonly string[], path: string, what: string, problems: Problem[]): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) problems.push(`${path}.${key}: unknown field; ${what} has ${allowed.join(', ')}`);
  }
}
