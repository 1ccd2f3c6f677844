import type { StreamBatch } from '../../stream-batch.ts';
import { brazeKey } from './braze-request.ts';
import { chosenIdentity, type IdentityChoice } from './identity-choice.ts';
import { type ReservedAttribute, reservedAttributeOf } from './reserved-attributes.ts';

/**
 * A user's attributes object for Braze's `/users/track`, from one batch (the page's User
 * Attributes table): mParticle's reserved attributes become Braze's standard profile fields,
 * identities `email`, `facebook` and `twitter`, every other attribute a custom attribute without
 * its `$`.
 */

export interface BrazeAttributeOptions {
  /** The identity sent as `email` (the "Email Identity Type" setting). */
  readonly emailIdentity: IdentityChoice;
  /** Lists as arrays of strings, else as one comma-separated string (the page's default). */
  readonly listsAsArrays: boolean;
  /** What a user tag (an attribute without a value) is sent as: "true", or null, which removes the attribute in Braze. */
  readonly userTagsValue: 'true' | 'null';
  /** "Enable API Custom Attribute Type Detection" for user attributes: strings holding a boolean or a number are sent as one. */
  readonly detectTypes: boolean;
}

/** Reserved attributes Braze has a standard field for; the others (`$Zip`, `$State`, `$Address`) are custom attributes. */
const STANDARD: Partial<Record<ReservedAttribute, string>> = {
  $firstname: 'first_name',
  $lastname: 'last_name',
  $country: 'country',
  $city: 'home_city',
  $gender: 'gender',
  $mobile: 'phone',
};

/** Attributes Braze keeps as subscription states (Contact Settings), not custom attributes. */
const SUBSCRIPTIONS = new Set(['email_subscribe', 'push_subscribe']);

/**
 * A string as its type, in the order the page gives (Boolean, Long, Double, else String): `"true"`
 * is `true`, `"42"` is `42`, `"4.5"` is `4.5`. Dates stay strings (Braze reads ISO 8601 as a time).
 */
export function detectType(value: string): string | number | boolean {
  const t = value.trim();
  if (/^(true|false)$/i.test(t)) return t.toLowerCase() === 'true';
  if (/^-?\d+$/.test(t)) {
    const n = Number(t);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (/^-?(\d+\.\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return Number(t);
  return value;
}

function customValue(value: unknown, o: BrazeAttributeOptions): unknown {
  if (value === null || value === undefined) return o.userTagsValue === 'null' ? null : o.detectTypes ? true : 'true';
  if (Array.isArray(value)) {
    const items = value.map(String);
    return o.listsAsArrays ? items : items.join(',');
  }
  return typeof value === 'string' && o.detectTypes ? detectType(value) : value;
}

/** `dob` from `$Age`: January 1st of the year the user was born in, counted from the batch's year (the page's rule). */
function dobFromAge(age: unknown, receivedAtMs: number): string | undefined {
  const years = typeof age === 'number' ? age : typeof age === 'string' && /^\d+$/.test(age.trim()) ? Number(age) : NaN;
  if (!Number.isInteger(years) || years < 0) return undefined;
  const year = new Date(receivedAtMs).getUTCFullYear() - years;
  return `${String(year).padStart(4, '0')}-01-01`;
}

/** The batch's attributes object for the user, or null when it would say nothing but who they are. */
export function brazeAttributesOf(from: StreamBatch, externalId: string, o: BrazeAttributeOptions): Record<string, unknown> | null {
  const { batch } = from;
  const out: Record<string, unknown> = { external_id: externalId };
  let age: unknown;
  let dob: unknown;
  for (const [key, value] of Object.entries(batch.user_attributes)) {
    const reserved = reservedAttributeOf(key);
    const standard = reserved && STANDARD[reserved];
    if (standard) out[standard] = value ?? null;
    else if (reserved === '$age') age = value;
    // `$Zip` is never typed: a zip code is not a number.
    else if (reserved === '$zip') out[brazeKey(key)] = value === null || value === undefined ? null : String(value);
    else if (key === 'dob') dob = value;
    else if (SUBSCRIPTIONS.has(key)) out[key] = value;
    else if (brazeKey(key) !== '') out[brazeKey(key)] = customValue(value, o);
  }
  // An exact `dob` wins over one estimated from `$Age`.
  const birth = dob ?? dobFromAge(age, from.receivedAtMs);
  if (birth !== undefined) out.dob = birth;
  for (const key of batch.deleted_user_attributes ?? []) {
    const reserved = reservedAttributeOf(key);
    if (reserved === '$age') continue;
    const name = (reserved && STANDARD[reserved]) ?? (key === 'dob' || SUBSCRIPTIONS.has(key) ? key : brazeKey(key));
    if (name !== '' && !(name in out)) out[name] = null;
  }
  const ids = batch.user_identities;
  const email = chosenIdentity(ids, from.mpid, o.emailIdentity);
  if (email !== undefined) out.email = email;
  if (ids.facebook) out.facebook = { id: ids.facebook };
  if (ids.twitter) out.twitter = { screen_name: ids.twitter };
  return Object.keys(out).length > 1 ? out : null;
}
