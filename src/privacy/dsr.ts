import type { IdentityType } from '../identity/identity-types.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { CollectedData, ErasureReport, ForwardedIdentities, ForwardingStatus } from './subject-data.ts';

/**
 * The vocabulary of data subject requests (DSRs, mParticle's OpenDSR API): versions, request
 * types, statuses, the identity types each accepts, and a request as the lifecycle keeps it.
 */

/** The API versions and the `api_version` each speaks: v1 is OpenGDPR, v2 and v3 OpenDSR. */
export const DSR_VERSIONS = { v1: '1.0', v2: '2.0', v3: '3.0' } as const;
export type DsrVersion = keyof typeof DSR_VERSIONS;

export const REQUEST_TYPES = ['access', 'portability', 'erasure'] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export const REGULATIONS = ['gdpr', 'ccpa'] as const;
export type Regulation = (typeof REGULATIONS)[number];

export const REQUEST_STATUSES = ['pending', 'in_progress', 'completed', 'cancelled'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** The only identity encoding mParticle accepts (OpenDSR also defines sha1, md5 and sha256). */
export const RAW = 'raw';

/** Identities a request may carry, at most (mParticle's limit). */
export const MAX_IDENTITIES = 50;

/** How long a due request has to complete: `expected_completion_time` is its due time plus this. */
export const COMPLETION_MARGIN_MS = 48 * 3_600_000;
/** How long an access or portability result may be downloaded once complete (then 410 Gone). */
export const RESULTS_TTL_MS = 7 * 24 * 3_600_000;
/** How long DSR records are kept (mParticle keeps them up to a year). */
export const RETENTION_MS = 365 * 24 * 3_600_000;

/**
 * The identity types of a request's `subject_identities`, OpenDSR name to Quanta's identity
 * type (mParticle's table: `controller_customer_id` is `customer_id`, `android_id` is
 * `android_uuid`, `ios_vendor_id` is `ios_idfv`...).
 */
export const SUBJECT_IDENTITY_TYPES = {
  controller_customer_id: 'customer_id',
  email: 'email',
  android_advertising_id: 'android_aaid',
  android_id: 'android_uuid',
  fire_advertising_id: 'fire_aid',
  ios_advertising_id: 'ios_idfa',
  ios_vendor_id: 'ios_idfv',
  microsoft_advertising_id: 'microsoft_aid',
  microsoft_publisher_id: 'microsoft_publisher_id',
  roku_advertising_id: 'roku_aid',
  roku_publishing_id: 'roku_publisher_id',
} as const satisfies Record<string, IdentityType>;

/** The identity types of the `opendsr.mparticle.com` extension (besides `mpid`). */
export const EXTENSION_IDENTITY_TYPES = {
  other: 'other',
  other2: 'other_id_2',
  other3: 'other_id_3',
  other4: 'other_id_4',
  other5: 'other_id_5',
  other6: 'other_id_6',
  other7: 'other_id_7',
  other8: 'other_id_8',
  other9: 'other_id_9',
  other10: 'other_id_10',
  mobile_number: 'mobile_number',
  phone_number_2: 'phone_number_2',
  phone_number_3: 'phone_number_3',
} as const satisfies Record<string, IdentityType>;

export type DsrIdentityType = keyof typeof SUBJECT_IDENTITY_TYPES | keyof typeof EXTENSION_IDENTITY_TYPES;

/**
 * Other spellings mParticle's pages use: the discovery response lists `roku_publisher_id`, and
 * v2's example extension names `other1`.
 */
export const IDENTITY_TYPE_ALIASES: Readonly<Record<string, DsrIdentityType>> = { roku_publisher_id: 'roku_publishing_id', other1: 'other' };

/** The identity types `GET /discovery` lists, as mParticle's discovery response spells them. */
export const DISCOVERED_IDENTITY_TYPES = [
  'android_advertising_id',
  'android_id',
  'controller_customer_id',
  'email',
  'fire_advertising_id',
  'ios_advertising_id',
  'ios_vendor_id',
  'microsoft_advertising_id',
  'microsoft_publisher_id',
  'roku_advertising_id',
  'roku_publisher_id',
] as const;

const TO_QUANTA: Readonly<Record<DsrIdentityType, IdentityType>> = { ...SUBJECT_IDENTITY_TYPES, ...EXTENSION_IDENTITY_TYPES };
const FROM_QUANTA = new Map<IdentityType, DsrIdentityType>(Object.entries(TO_QUANTA).map(([dsr, quanta]) => [quanta, dsr as DsrIdentityType]));

/** Quanta's identity type of an OpenDSR one. */
export const quantaIdentityType = (type: DsrIdentityType): IdentityType => TO_QUANTA[type];

/** The OpenDSR name of a Quanta identity type; undefined for those OpenDSR does not name (push tokens, social ids...). */
export const dsrIdentityType = (type: IdentityType): DsrIdentityType | undefined => FROM_QUANTA.get(type);

/** One identity of a request, by its OpenDSR type. */
export interface DsrIdentity {
  readonly type: DsrIdentityType;
  readonly value: string;
}

/** A request as submitted and validated: what every version's body says, in one shape. */
export interface DsrSubmission {
  readonly version: DsrVersion;
  readonly subjectRequestId: string;
  readonly requestType: RequestType;
  /** null for v1, which has no `regulation`. */
  readonly regulation: Regulation | null;
  /** `submitted_time`, as sent. */
  readonly submittedTime: string;
  /** The identities of `subject_identities` and of the extension, in order. */
  readonly identities: readonly DsrIdentity[];
  /** MPIDs the extension names (v2's `mpids`, v3's `mpid`). */
  readonly mpids: readonly Mpid[];
  readonly statusCallbackUrls: readonly string[];
  readonly groupId: string | null;
  /** v3: an erasure runs at once instead of after the workspace's waiting period. */
  readonly skipWaitingPeriod: boolean;
  /** The body exactly as received (its base64 is `encoded_request`). */
  readonly raw: string;
}

/** One status a request was in, and since when. */
export interface StatusChange {
  readonly status: RequestStatus;
  readonly atMs: number;
}

/** Whom a request resolved to, fixed before anything is erased, so a run again acts on the same users. */
export interface Resolution {
  readonly mpids: readonly Mpid[];
  /** The request's identities enriched with every identity of those users (what an erasure forwards). */
  readonly identities: ForwardedIdentities;
}

/** A request as the DSR store keeps it. */
export interface DsrRecord extends DsrSubmission {
  readonly workspaceId: WorkspaceId;
  /** Type, identities and MPIDs: two requests with the same are the same request (409 while one is open). */
  readonly fingerprint: string;
  readonly status: RequestStatus;
  readonly history: readonly StatusChange[];
  readonly receivedAtMs: number;
  /** When it runs (or ran): the waiting period's end for an erasure, or when a failed run is tried again. */
  readonly dueAtMs: number;
  /** Due time plus 48 h; null once cancelled. */
  readonly expectedCompletionMs: number | null;
  readonly resolution: Resolution | null;
  /** v3 erasures: each output's forwarding state; `not_sent` for v1 and v2 erasures, which are not forwarded. */
  readonly forwarding: readonly ForwardingStatus[] | 'not_sent' | null;
  /**
   * What the erasure removed: the request's users, and the rows of the erasure run it was part of
   * (the due erasures of a workspace are erased together).
   */
  readonly erasure: ErasureReport | null;
  /** An access or portability request's result, once collected. */
  readonly results: CollectedData | null;
  /** When the result stops being downloadable (completion plus 7 days). */
  readonly resultsExpireAtMs: number | null;
  /** When the result file was deleted (its download time over): the results URL then answers 410. */
  readonly resultsRemovedAtMs: number | null;
  /** Runs that failed, and the last one's error (the run is tried again later). */
  readonly attempts: number;
  readonly lastError: string | null;
}

/** What {@link DsrRecord} fields a lifecycle step changes besides the status. */
export type RecordUpdate = Partial<Pick<DsrRecord, 'dueAtMs' | 'expectedCompletionMs' | 'resolution' | 'forwarding' | 'erasure' | 'results' | 'resultsExpireAtMs' | 'resultsRemovedAtMs' | 'attempts' | 'lastError'>>;

/** A status callback waiting to be sent, or sent, or given up on. */
export interface DsrCallback {
  readonly id: number;
  readonly workspaceId: WorkspaceId;
  readonly subjectRequestId: string;
  readonly url: string;
  /** The request's version when queued: v1 signs with `X-OpenGDPR-*` headers. */
  readonly version: DsrVersion;
  /** The status body, exactly as it is sent (and signed). */
  readonly body: string;
  readonly createdAtMs: number;
  readonly attempts: number;
  readonly nextTryAtMs: number;
  readonly lastError: string | null;
  readonly deliveredAtMs: number | null;
  readonly givenUp: boolean;
}

/** A callback to queue with a status change: one per URL of the request. */
export type NewCallback = Pick<DsrCallback, 'url' | 'version' | 'body'>;
