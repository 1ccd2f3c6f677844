import { CCPA_PURPOSE, parsePurposeConsent, type PurposeConsent, type Regulation, sameConsent } from './consent-state.ts';
import { isJsonObject } from '../kernel/json-object.ts';

/** What a workspace's privacy settings say of the consent a profile takes. */
export interface ConsentRules {
  /**
   * The GDPR purposes the workspace defined (lowercase), or null when it defined none: then every
   * purpose is applied, as before privacy settings existed. With some defined, the guide's rule
   * holds ("purposes must be defined in mParticle before using them"): others are refused.
   */
  readonly gdprPurposes: ReadonlySet<string> | null;
}

/** No purposes defined: every GDPR purpose is applied. */
export const ANY_PURPOSE: ConsentRules = { gdprPurposes: null };

/** One purpose whose consent a batch changed on the profile: what it was (undefined: none yet) and what it is. */
export interface ConsentChange {
  readonly regulation: Regulation;
  readonly purpose: string;
  readonly current: PurposeConsent;
  readonly old: PurposeConsent | undefined;
}

/** A consent of the batch the profile did not take, and why. */
export interface RefusedConsent {
  readonly regulation: string;
  readonly purpose: string;
  readonly why: string;
}

/** A profile's consent state as it holds it: purposes by name, per regulation. */
export interface HeldConsent {
  gdpr: Record<string, unknown>;
  ccpa: Record<string, unknown>;
}

export interface MergedConsent<S extends HeldConsent> {
  /** The state after the batch: `held` itself when nothing changed, else a new object (`held` is never changed). */
  readonly state: S;
  readonly changes: readonly ConsentChange[];
  readonly refused: readonly RefusedConsent[];
}

const NONE: readonly never[] = [];

/**
 * Applies a batch's `consent_state` to a profile's: each purpose's consent replaces the held one
 * unless the held one is newer (a higher `timestamp_unixtime_ms`; at the same time the later batch
 * wins), so consent sent late or replayed never undoes a newer decision, and applying the same
 * batches again lands on the same state. A consent equal to the held one is no change (SDKs send
 * the whole state with every batch). Purposes the batch does not name are kept. Refused: CCPA
 * purposes other than `data_sale_opt_out` (the JSON reference allows that one only), GDPR
 * purposes the workspace has not defined ({@link ConsentRules}), regulations other than GDPR and
 * CCPA, and entries that are not consents (`consented` not a boolean).
 *
 * @example
 *   const { state, changes } = mergeConsent(profile.consentState, batch.consent_state, ANY_PURPOSE, batchTimeMs);
 */
export function mergeConsent<S extends HeldConsent>(held: S, incoming: unknown, rules: ConsentRules, fallbackMs: number): MergedConsent<S> {
  if (!isJsonObject(incoming)) return { state: held, changes: NONE, refused: NONE };
  const changes: ConsentChange[] = [];
  const refused: RefusedConsent[] = [];
  const next: Partial<Record<Regulation, Record<string, unknown>>> = {};
  for (const [regulation, purposes] of Object.entries(incoming)) {
    if (purposes === null || purposes === undefined) continue;
    if (regulation !== 'gdpr' && regulation !== 'ccpa') {
      refused.push({ regulation, purpose: '*', why: 'only gdpr and ccpa consent is recorded' });
      continue;
    }
    if (!isJsonObject(purposes)) {
      refused.push({ regulation, purpose: '*', why: `${regulation} must be an object of purposes` });
      continue;
    }
    for (const [purpose, raw] of Object.entries(purposes)) {
      const why = purposeProblem(regulation, purpose, rules);
      const parsed = why === undefined ? parsePurposeConsent(raw, fallbackMs) : { why };
      if ('why' in parsed) {
        refused.push({ regulation, purpose, why: parsed.why });
        continue;
      }
      const bag = next[regulation] ?? held[regulation];
      const before = Object.hasOwn(bag, purpose) ? parsePurposeConsent(bag[purpose], 0) : undefined;
      const old = before && 'consent' in before ? before.consent : undefined;
      const current = parsed.consent;
      if (old && (old.timestamp_unixtime_ms > current.timestamp_unixtime_ms || sameConsent(old, current))) continue;
      (next[regulation] ??= { ...held[regulation] })[purpose] = current;
      changes.push({ regulation, purpose, current, old });
    }
  }
  if (changes.length === 0) return { state: held, changes: NONE, refused };
  return { state: { ...held, gdpr: next.gdpr ?? held.gdpr, ccpa: next.ccpa ?? held.ccpa }, changes, refused };
}

function purposeProblem(regulation: Regulation, purpose: string, rules: ConsentRules): string | undefined {
  if (purpose === '') return 'the purpose has no name';
  if (regulation === 'ccpa') return purpose === CCPA_PURPOSE ? undefined : `CCPA's only purpose is ${CCPA_PURPOSE}`;
  if (rules.gdprPurposes !== null && !rules.gdprPurposes.has(purpose.toLowerCase())) return 'the workspace has not defined this GDPR purpose';
  return undefined;
}
