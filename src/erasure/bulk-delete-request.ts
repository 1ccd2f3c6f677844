import { type ErrorDetail, problem } from '../kernel/errors.ts';
import { type Mpid, parseMpid } from '../kernel/ids.ts';
import { fromApiName, type IdentityType } from '../identity/identity-types.ts';
import { BulkDeleteEmpty, BulkDeleteInvalid, BulkDeleteNotArray, BulkDeleteTooMany } from './erasure-errors.ts';
import { isJsonObject } from '../kernel/json-object.ts';

/** One profile a bulk deletion names: by its MPID, or by one of its identities (resolved with IDSync's search). */
export type BulkDeleteItem = { readonly mpid: Mpid } | { readonly identityType: IdentityType; readonly value: string };

/**
 * The most items one request may hold (mParticle documents none): a request is parsed and its
 * identities resolved at once, and its users become one job.
 */
export const MAX_BULK_DELETE_ITEMS = 1000;


/**
 * Reads a bulk deletion body: an array of `{ "mpid": "<mpid>", "action": "delete" }` (the MPID
 * a string or an integer) or `{ "identity_type": "email", "value": "...", "action": "delete" }`.
 * Throws a coded 400 naming every bad item by its index; nothing is queued then.
 *
 * @example
 *   parseBulkDelete([{ mpid: '-8214', action: 'delete' }]); // [{ mpid: '-8214' }]
 */
export function parseBulkDelete(body: unknown): BulkDeleteItem[] {
  if (!Array.isArray(body)) throw new BulkDeleteNotArray();
  if (body.length === 0) throw new BulkDeleteEmpty();
  if (body.length > MAX_BULK_DELETE_ITEMS) throw new BulkDeleteTooMany(body.length, MAX_BULK_DELETE_ITEMS);
  const problems: ErrorDetail[] = [];
  const items: BulkDeleteItem[] = [];
  body.forEach((raw, i) => {
    const at = `[${i}]`;
    if (!isJsonObject(raw)) {
      problems.push(problem(`${at} must be an object with "mpid" (or "identity_type" and "value") and "action": "delete".`));
      return;
    }
    if (raw.action !== 'delete') problems.push(problem(`${at}.action must be "delete".`));
    if (raw.mpid !== undefined) {
      const mpid = typeof raw.mpid === 'string' || typeof raw.mpid === 'number' || typeof raw.mpid === 'bigint' ? parseMpid(raw.mpid) : undefined;
      if (mpid === undefined) problems.push(problem(`${at}.mpid must be a signed 64-bit integer other than 0 (send it as a string).`));
      else if (raw.identity_type !== undefined) problems.push(problem(`${at} names both an mpid and an identity_type; send one.`));
      else items.push({ mpid });
      return;
    }
    if (raw.identity_type === undefined) {
      problems.push(problem(`${at} must name a profile: "mpid", or "identity_type" and "value".`));
      return;
    }
    const type = typeof raw.identity_type === 'string' ? fromApiName(raw.identity_type) : undefined;
    if (type === undefined) problems.push(problem(`${at}.identity_type ${JSON.stringify(raw.identity_type)} is not an identity type (email, customer_id, other_id_2, ios_idfa...).`));
    if (typeof raw.value !== 'string' || raw.value === '') problems.push(problem(`${at}.value must be the identity's value, a non-empty string.`));
    else if (type !== undefined) items.push({ identityType: type, value: raw.value });
  });
  if (problems.length > 0) throw new BulkDeleteInvalid(problems);
  return items;
}
