/**
 * Dates as calculated attributes read them: ISO 8601 strings and epoch milliseconds, always UTC.
 *
 * `Date.parse` reads a date-time without a zone ("2019-10-01T00:00:00", the form of mParticle's
 * own examples) as local time; every date here without a zone is UTC instead, so results never
 * depend on the machine's time zone.
 */

/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;
/** Milliseconds in one hour. */
export const HOUR_MS = 3_600_000;
/** The largest absolute epoch milliseconds a `Date` can hold. */
const MAX_EPOCH_MS = 8.64e15;

/** A parsed date: its instant, and whether it named a whole UTC day ("2024-03-05"). */
export interface ParsedDate {
  readonly ms: number;
  readonly dateOnly: boolean;
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const EPOCH_MS = /^-?\d+$/;

/** Whether epoch milliseconds fit a `Date` (so `toISOString` cannot throw). */
export function isEpochMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_EPOCH_MS;
}

/**
 * Reads an ISO 8601 date ("2024-03-05") or date-time ("2024-03-05T10:00:00", "...Z",
 * "...+02:00", with optional fractions of a second, truncated to milliseconds). A date-time
 * without a zone is UTC. Impossible dates ("2024-02-30") are refused.
 */
export function parseIsoDate(text: string): ParsedDate | undefined {
  const m = ISO_8601.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((p) => Number(p ?? 0)) as [
    number, number, number, number, number, number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const offset = zoneOffsetMinutes(m[8]);
  if (offset === undefined) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, fraction);
  return { ms: date.getTime() - offset * 60_000, dateOnly: m[4] === undefined };
}

/**
 * Reads a date given as an ISO 8601 string, as epoch milliseconds (a number), or as a string of
 * digits (epoch milliseconds: "1704067200000"). Anything else is not a date.
 */
export function toDate(value: unknown): ParsedDate | undefined {
  if (typeof value === 'number') return isEpochMs(value) ? { ms: Math.trunc(value), dateOnly: false } : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (EPOCH_MS.test(text)) {
    const ms = Number(text);
    return isEpochMs(ms) ? { ms, dateOnly: false } : undefined;
  }
  return parseIsoDate(text);
}

/** The UTC day of an instant, as "YYYY-MM-DD". */
export function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The first millisecond of the UTC day of an instant. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** An instant as ISO 8601 in UTC with milliseconds: "2020-01-01T22:14:47.105Z". */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** "Z" or none: 0; "+02", "+0200", "+02:00": minutes east of UTC; out of range: undefined. */
function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || '0');
  if (hours > 23 || minutes > 59 || (digits.length !== 2 && digits.length !== 4)) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}
