import { isJsonObject } from '../kernel/json-object.ts';

/**
 * mParticle's consent state (the JSON reference's `consent_state`, the data privacy controls
 * guide's "consent properties"): per regulation, per purpose, one record of the person's decision.
 */

/** The regulations consent is recorded under. */
export const REGULATIONS = ['gdpr', 'ccpa'] as const;
export type Regulation = (typeof REGULATIONS)[number];

/** CCPA's one purpose, there whenever CCPA is enabled: `consented: true` is an opt-out of data sale. */
export const CCPA_PURPOSE = 'data_sale_opt_out';

/** One purpose's consent as a profile keeps it: every field of the guide, the optional ones null when not sent. */
export interface PurposeConsent {
  readonly consented: boolean;
  readonly timestamp_unixtime_ms: number;
  readonly document: string | null;
  readonly location: string | null;
  readonly hardware_id: string | null;
}

/**
 * A person's consent state: each regulation's purposes by name (as sent). Never changed in place:
 * a change makes new objects (see `mergeConsent`), so a reference held beside a record stays
 * the state as of that record.
 */
export interface ConsentState {
  readonly gdpr: Readonly<Record<string, PurposeConsent>>;
  readonly ccpa: Readonly<Record<string, PurposeConsent>>;
}

const textOrNull = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/**
 * One purpose's consent read from a batch (or a stored profile): `consented` must be a boolean;
 * a missing or non-numeric `timestamp_unixtime_ms` takes `fallbackMs` (the batch's time), and
 * optional fields that are not strings are null. Undefined, with why, when it is not a consent.
 *
 * @example
 *   parsePurposeConsent({ consented: true, timestamp_unixtime_ms: 5, document: 'v2' }, 1) // { consent: { consented: true, timestamp_unixtime_ms: 5, document: 'v2', location: null, hardware_id: null } }
 *   parsePurposeConsent({ consented: 'yes' }, 1) // { why: 'consented must be true or false' }
 */
export function parsePurposeConsent(raw: unknown, fallbackMs: number): { consent: PurposeConsent } | { why: string } {
  if (!isJsonObject(raw)) return { why: 'a purpose consent must be an object' };
  if (typeof raw.consented !== 'boolean') return { why: 'consented must be true or false' };
  const ts = raw.timestamp_unixtime_ms;
  return {
    consent: {
      consented: raw.consented,
      timestamp_unixtime_ms: typeof ts === 'number' && Number.isFinite(ts) ? ts : fallbackMs,
      document: textOrNull(raw.document),
      location: textOrNull(raw.location),
      hardware_id: textOrNull(raw.hardware_id),
    },
  };
}

/** Whether two consents record the same decision, field by field. */
export function sameConsent(a: PurposeConsent, b: PurposeConsent): boolean {
  return (
    a.consented === b.consented &&
    a.timestamp_unixtime_ms === b.timestamp_unixtime_ms &&
    a.document === b.document &&
    a.location === b.location &&
    a.hardware_id === b.hardware_id
  );
}

/** A regulation's purposes as stored on a profile (entries written before they were normalised are read leniently). */
export function purposesOf(state: unknown, regulation: Regulation): Record<string, PurposeConsent> {
  const held = isJsonObject(state) ? state[regulation] : undefined;
  if (!isJsonObject(held)) return {};
  const out: Record<string, PurposeConsent> = {};
  for (const [purpose, raw] of Object.entries(held)) {
    const parsed = parsePurposeConsent(raw, 0);
    if ('consent' in parsed) out[purpose] = parsed.consent;
  }
  return out;
}
