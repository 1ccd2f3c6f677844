import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import { ANY_PURPOSE, type ConsentRules, type MergedConsent, mergeConsent } from '../consent/consent-merge.ts';
import type { LogRecord } from '../model/envelope.ts';

export type AttributeValue = string | number | boolean | null | string[];

/**
 * A user profile: what Quanta knows about one person beyond their identities (which live in
 * the identity graph). Updated by the processor's profile stage, read by the Profile API.
 */
export interface Profile {
  workspaceId: WorkspaceId;
  mpid: Mpid;
  createdAtMs: number;
  /** When this profile was last written (mParticle's `last_stored_timestamp_ms`). */
  lastStoredAtMs: number;
  firstSeenMs: number | null;
  lastSeenMs: number | null;
  userAttributes: Record<string, AttributeValue>;
  /** Filled by the calculated attributes capability; empty until then. */
  calculatedAttributes: Record<string, AttributeValue>;
  /** Filled by the audiences capability; empty until then. */
  audienceMemberships: { audience_id: number; audience_name: string; expiration_timestamp_ms: number | null }[];
  /** Per regulation, per purpose, the latest consent (`consent/consent-state.ts`' `PurposeConsent`); replaced, never changed in place, on a change. */
  consentState: { gdpr: Record<string, unknown>; ccpa: Record<string, unknown> };
  isOptedOut: boolean;
  limitAdTracking: boolean | null;
  deviceInfo: Record<string, unknown> | null;
  /** Install attribution: publisher and campaign of an `attribution` custom event. */
  attribution: { publisher: string | null; campaign: string | null; timestamp_ms: number } | null;
}

/** mParticle's documented user attribute limits (Default Service Limits). */
export const ATTRIBUTE_LIMITS = {
  perBatch: 100,
  nameLength: 256,
  valueLength: 4096,
  listEntries: 1000,
  listEntryLength: 512,
} as const;

export function newProfile(workspaceId: WorkspaceId, mpid: Mpid, atMs: number): Profile {
  return {
    workspaceId,
    mpid,
    createdAtMs: atMs,
    lastStoredAtMs: atMs,
    firstSeenMs: null,
    lastSeenMs: null,
    userAttributes: {},
    calculatedAttributes: {},
    audienceMemberships: [],
    consentState: { gdpr: {}, ccpa: {} },
    isOptedOut: false,
    limitAdTracking: null,
    deviceInfo: null,
    attribution: null,
  };
}

/** Why an attribute was not stored: it breaks a documented limit. */
export function attributeProblem(name: string, value: unknown): string | undefined {
  if (name.length === 0 || name.length > ATTRIBUTE_LIMITS.nameLength) return `name longer than ${ATTRIBUTE_LIMITS.nameLength} characters`;
  if (Array.isArray(value)) {
    if (value.length > ATTRIBUTE_LIMITS.listEntries) return `list longer than ${ATTRIBUTE_LIMITS.listEntries} entries`;
    if (value.some((v) => String(v).length > ATTRIBUTE_LIMITS.listEntryLength)) return `list entry longer than ${ATTRIBUTE_LIMITS.listEntryLength} characters`;
    return undefined;
  }
  if (value !== null && typeof value === 'object') return 'value is an object; use a string, number, boolean or list of strings';
  if (String(value).length > ATTRIBUTE_LIMITS.valueLength) return `value longer than ${ATTRIBUTE_LIMITS.valueLength} characters`;
  return undefined;
}

function normalizeValue(value: unknown): AttributeValue {
  if (Array.isArray(value)) return value.map((v) => String(v));
  return value as AttributeValue;
}

/** What applying a batch did besides its sets: attributes refused, and the consent merge (changes and refusals). */
export interface Applied {
  refused: { name: string; why: string }[];
  consent: MergedConsent<Profile['consentState']>;
}

/**
 * Applies one accepted batch to its user's profile, in log order. Every change is a set, a
 * removal, a merge or a min/max (consent: the newer of two by timestamp), so applying the same
 * suffix of the log again after a crash leaves the same profile. Consent follows the workspace's
 * `consentRules` (`consent/consent-merge.ts`). Returns the attributes it refused, with why, and
 * what the consent merge changed and refused.
 */
export function applyBatch(profile: Profile, record: LogRecord, consentRules: ConsentRules = ANY_PURPOSE): Applied {
  const { batch } = record;
  const refused: { name: string; why: string }[] = [];
  const set = (name: string, value: unknown) => {
    const why = attributeProblem(name, value);
    if (why) refused.push({ name, why });
    else profile.userAttributes[name] = normalizeValue(value);
  };
  const names = Object.keys(batch.user_attributes);
  names.forEach((name, i) => {
    if (i >= ATTRIBUTE_LIMITS.perBatch) refused.push({ name, why: `more than ${ATTRIBUTE_LIMITS.perBatch} user attributes in one batch` });
    else set(name, batch.user_attributes[name]);
  });
  for (const name of batch.deleted_user_attributes ?? []) delete profile.userAttributes[name];

  for (const event of batch.events) {
    const d = event.data;
    const ts = d.timestamp_unixtime_ms ?? batch.timestamp_unixtime_ms ?? record.receivedAtMs;
    profile.firstSeenMs = profile.firstSeenMs === null ? ts : Math.min(profile.firstSeenMs, ts);
    profile.lastSeenMs = profile.lastSeenMs === null ? ts : Math.max(profile.lastSeenMs, ts);
    switch (event.event_type) {
      case 'user_attribute_change': {
        const name = d.user_attribute_name as string;
        if (d.deleted === true) delete profile.userAttributes[name];
        else set(name, d.new ?? null);
        break;
      }
      case 'opt_out':
        profile.isOptedOut = d.is_opted_out === true;
        break;
      case 'custom_event':
        if (d.custom_event_type === 'attribution' && d.event_name === 'attribution') {
          const attrs = (d.custom_attributes ?? {}) as Record<string, unknown>;
          profile.attribution = {
            publisher: typeof attrs.publisher === 'string' ? attrs.publisher : null,
            campaign: typeof attrs.campaign === 'string' ? attrs.campaign : null,
            timestamp_ms: ts,
          };
        }
        break;
      default:
        break;
    }
  }
  const consent = mergeConsent(profile.consentState, batch.consent_state, consentRules, batch.timestamp_unixtime_ms ?? record.receivedAtMs);
  profile.consentState = consent.state;
  if (batch.device_info) {
    profile.deviceInfo = { ...(profile.deviceInfo ?? {}), ...batch.device_info };
    if (typeof batch.device_info.limit_ad_tracking === 'boolean') profile.limitAdTracking = batch.device_info.limit_ad_tracking;
  }
  if (batch.events.length === 0 && profile.lastSeenMs === null) profile.lastSeenMs = record.receivedAtMs;
  return { refused, consent };
}
