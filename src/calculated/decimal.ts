import { memoized } from '../kernel/memo.ts';

/**
 * Exact decimal arithmetic for sums and averages, so that adding "0.1" and "0.2" shows "0.3",
 * and adding states in any grouping gives exactly the same digits (merge stays associative).
 *
 * A decimal is `m × 10^e` with a `bigint` mantissa. Values come from event attributes as
 * numbers or numeric strings; a JavaScript number is read through its shortest round-trip text
 * (`0.1` is read as "0.1", not as the binary fraction nearest to it).
 *
 * The formatting rule, for every numeric value a calculated attribute shows:
 *   - sums, minimums and maximums are exact, in plain decimal notation without trailing zeros
 *     ("34.32", "1250", "-0.5", never "1e21");
 *   - averages are rounded to 15 significant digits (what a double holds faithfully) and shown
 *     the same way ("3.33333333333333").
 */
export interface Decimal {
  readonly m: bigint;
  readonly e: number;
}

export const ZERO: Decimal = { m: 0n, e: 0 };

/** Exponents beyond this ("1e-500") are not read as numbers: they would only cost digits. */
const MAX_EXPONENT = 400;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Reads a finite decimal number: a JavaScript number, or a string such as "34.32", " -5 ",
 * "1e3" or ".5". Hex, "Infinity", "", booleans and exponents beyond ±400 are not numbers.
 */
export function toDecimal(value: unknown): Decimal | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? parseDecimalText(String(value)) : undefined;
  if (typeof value !== 'string') return undefined;
  return parseDecimalText(value.trim());
}

/** The number a value converts to (the same rule as {@link toDecimal}), or undefined. */
export function toNumber(value: unknown): number | undefined {
  const d = toDecimal(value);
  return d === undefined ? undefined : decimalToNumber(d);
}

/** Remembered: states and event values repeat the same few numbers (decimals are never mutated, so they are shared). */
const parseDecimalText = memoized(parseDecimalTextAnew);

function parseDecimalTextAnew(text: string): Decimal | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  if (whole === '' && fraction === '') return undefined;
  if (Math.abs(Number(exponent)) > MAX_EXPONENT || !Number.isFinite(Number(text))) return undefined;
  const digits = BigInt(`${whole}${fraction}` || '0');
  return normalise({ m: sign === '-' ? -digits : digits, e: Number(exponent) - fraction.length });
}

/** a + b, exactly. */
export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const e = Math.min(a.e, b.e);
  return normalise({ m: a.m * 10n ** BigInt(a.e - e) + b.m * 10n ** BigInt(b.e - e), e });
}

/** a × b, exactly. */
export function multiplyDecimal(a: Decimal, b: Decimal): Decimal {
  return normalise({ m: a.m * b.m, e: a.e + b.e });
}

/** Negative, zero or positive as a is below, equal to or above b. */
export function compareDecimal(a: Decimal, b: Decimal): number {
  const d = addDecimal(a, { m: -b.m, e: b.e }).m;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Plain decimal notation without trailing zeros: "0.3", "-12", "1000000000000000000000". */
export function formatDecimal(d: Decimal): string {
  const negative = d.m < 0n;
  const digits = (negative ? -d.m : d.m).toString();
  let text: string;
  if (d.e >= 0) text = digits + '0'.repeat(d.e);
  else {
    const padded = digits.padStart(-d.e + 1, '0');
    text = `${padded.slice(0, d.e)}.${padded.slice(d.e)}`;
  }
  return negative ? `-${text}` : text;
}

/** Reads back what {@link formatDecimal} wrote (states keep decimals as this text). */
export function parseDecimal(text: string): Decimal {
  const d = parseDecimalText(text);
  if (!d) throw new Error(`Not a decimal: ${text}`);
  return d;
}

/** The nearest JavaScript number. */
export function decimalToNumber(d: Decimal): number {
  return Number(formatDecimal(d));
}

/** A computed (inexact) number rounded to 15 significant digits, in plain decimal notation. */
export function formatRounded(n: number): string {
  const d = toDecimal(Number(n.toPrecision(15)));
  return d === undefined ? String(n) : formatDecimal(d);
}

function normalise(d: Decimal): Decimal {
  if (d.m === 0n) return ZERO;
  let { m, e } = d;
  while (m % 10n === 0n) {
    m /= 10n;
    e += 1;
  }
  return { m, e };
}
