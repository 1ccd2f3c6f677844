/**
 * How attribute values read as text, the form in which every calculated attribute value is
 * stored and shown (mParticle's Calculated Attributes Reference: "All attribute values in our
 * platform are stored as strings").
 */

/** A single attribute value a calculation can use. */
export type Scalar = string | number | boolean;

/**
 * A value as a calculation uses it: strings, finite numbers and booleans; `null`, lists, objects
 * and the empty string are no value (an event whose attribute is `""` contributes nothing to a
 * most frequent value, a unique list or a first value: mParticle shows '-' for "no value").
 */
export function asScalar(value: unknown): Scalar | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value;
  return undefined;
}

/** A scalar as text: numbers in JavaScript's shortest form (5, not "5.0"), booleans "true"/"false". */
export function toText(value: Scalar): string {
  return typeof value === 'string' ? value : String(value);
}

/**
 * mParticle's "alphabetical" order (for unique lists and the tie-break of most frequent values):
 * case-insensitive first, so "apple" sorts before "Banana", then by UTF-16 code units so that
 * the order is total and does not depend on the runtime's locale data.
 */
export function compareAlphabetical(a: string, b: string): number {
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  if (la !== lb) return la < lb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An own property of a JSON object (never one inherited from `Object.prototype`). */
export function ownValue(bag: unknown, name: string): unknown {
  if (bag === null || typeof bag !== 'object' || Array.isArray(bag)) return undefined;
  return Object.hasOwn(bag, name) ? (bag as Record<string, unknown>)[name] : undefined;
}
