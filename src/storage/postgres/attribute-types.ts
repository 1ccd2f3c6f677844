/**
 * The types of the warehouse's evolved attribute columns (`ea_<name>`), and which values fit
 * them. A column's type is decided once, by the first value it is created for; a later value that
 * does not fit is a type conflict (see `warehouse.ts`), never a failed load.
 */
export const COLUMN_TYPES = ['numeric', 'boolean', 'timestamptz', 'text'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** What a value is, as a type conflict names it: a column type, or `json` (an object or array). */
export type ValueType = ColumnType | 'json';

/** A value as a typed column takes it (text PostgreSQL parses, before COPY escaping; null for SQL NULL), or `misfit`. */
export type Fitted = { fits: true; text: string | null } | { fits: false };

const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?$/;
/** ISO 8601 with its offset: without one, the instant would depend on the session's time zone. */
const TIMESTAMP_TEXT = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:([Zz])|([+-])(\d{2}):?(\d{2})?)$/;
const BOOLEAN_TEXT: Readonly<Record<string, boolean>> = { true: true, false: false };
const LONGEST_NUMBER = 1000;

/**
 * The instant an ISO 8601 text with an offset names, as `toISOString()` writes it, or undefined.
 * `Date.parse` alone would roll `2024-02-30` over to March; every field is checked instead.
 */
export function isoTimestamp(text: string): string | undefined {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetMin = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0));
  if (Math.abs(offsetMin) > 18 * 60) return undefined;
  // Not `Date.UTC`, which reads years 0-99 as 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Math.floor(Number(m[7] ?? 0) * 1000));
  return isoOfMs(date.getTime() - offsetMin * 60_000) ?? undefined;
}

/** An instant (ms since the epoch) as ISO 8601 text PostgreSQL reads, or null when it is not one (NaN, past year 9999, before year 1). */
export function isoOfMs(ms: number): string | null {
  if (!Number.isFinite(ms)) return null;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  return year >= 1 && year <= 9999 ? date.toISOString() : null;
}

/** What a value is; undefined for null (which fits every column). */
export function valueTypeOf(value: unknown): ValueType | undefined {
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 'numeric';
    case 'boolean':
      return 'boolean';
    case 'string':
      return isoTimestamp(value) === undefined ? 'text' : 'timestamptz';
    default:
      return value === null || value === undefined ? undefined : 'json';
  }
}

/**
 * The column type a first value decides: a JSON number is `numeric`, a boolean `boolean`, an ISO
 * 8601 string with an offset `timestamptz`, any other string `text`. Numeric-looking strings stay
 * `text` (zip codes keep their zeros); null, an object or an array decide nothing yet.
 */
export function inferColumnType(value: unknown): ColumnType | undefined {
  const type = valueTypeOf(value);
  return type === 'json' ? undefined : type;
}

const MISFIT: Fitted = { fits: false };
const fitted = (text: string | null): Fitted => ({ fits: true, text });

/**
 * A value as a column of this type takes it. Lenient where the meaning is plain: a numeric
 * string fits `numeric`, `"true"`/`"false"` fit `boolean`, a number or boolean fits `text` as its
 * JSON text; an object or array fits nothing (it stays in the row's JSON only).
 */
export function fitValue(type: ColumnType, value: unknown): Fitted {
  if (value === null || value === undefined) return fitted(null);
  switch (type) {
    case 'numeric':
      if (typeof value === 'number') return Number.isFinite(value) ? fitted(String(value)) : MISFIT;
      if (typeof value === 'bigint') return fitted(value.toString());
      return typeof value === 'string' && value.length <= LONGEST_NUMBER && NUMERIC_TEXT.test(value) ? fitted(value) : MISFIT;
    case 'boolean': {
      if (typeof value === 'boolean') return fitted(value ? 't' : 'f');
      const b = typeof value === 'string' ? BOOLEAN_TEXT[value.toLowerCase()] : undefined;
      return b === undefined ? MISFIT : fitted(b ? 't' : 'f');
    }
    case 'timestamptz': {
      const iso = typeof value === 'string' ? isoTimestamp(value) : undefined;
      return iso === undefined ? MISFIT : fitted(iso);
    }
    case 'text':
      if (typeof value === 'string') return fitted(value);
      return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' ? fitted(String(value)) : MISFIT;
    default: {
      const unreachable: never = type;
      throw new Error(`unknown column type ${String(unreachable)}`);
    }
  }
}
