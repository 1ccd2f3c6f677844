/**
 * JSON in and out without losing the digits of 64-bit MPIDs.
 *
 * Node 20's `JSON.parse` rounds a 19-digit number and offers no way to recover its text, so
 * before parsing we quote the digits of every `mpid`, `previous_mpid` and `current_mpid` value.
 * A quoted key cannot occur inside a JSON string (its quotes would be escaped there), so the
 * rewrite only ever touches real keys.
 */
const MPID_NUMBER = /(?<!\\)"((?:previous_|current_)?mpid)"(\s*:\s*)(-?\d+)/g;

export function parseJsonLossless(text: string): unknown {
  const quoted = text.includes('mpid"') ? text.replace(MPID_NUMBER, '"$1"$2"$3"') : text;
  return JSON.parse(quoted);
}

const QUOTED_MPID = /"((?:previous_|current_)?mpid)":"(-?\d+)"/g;

/** `JSON.stringify`, writing MPIDs held as decimal strings as exact JSON numbers. */
export function stringifyLossless(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return text.includes('mpid"') ? text.replace(QUOTED_MPID, '"$1":$2') : text;
}
