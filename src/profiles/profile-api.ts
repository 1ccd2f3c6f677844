import { type ErrorDetail, problem } from '../kernel/errors.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { IdentityGraph } from '../identity/identity-graph.ts';
import type { IdentityRecord } from '../identity/identity-store.ts';
import { DEVICE_IDENTITY_TYPES, fromApiName, type IdentityType } from '../identity/identity-types.ts';
import { FieldsMissing, FieldsUnknown, IdentityHasNoProfile, IdentityNotImmutable, ProfileNotFound, ResolveRequestInvalid } from './profile-errors.ts';
import type { ProfileStore } from './profile-store.ts';
import { newProfile, type Profile } from './profile.ts';

/** mParticle's fields, and Quanta's `consent_state` (the person's consent, as the JSON reference's `consent_state` writes it). */
export const PROFILE_FIELDS = ['device_identities', 'user_identities', 'user_attributes', 'audience_memberships', 'attribution', 'consent_state'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** The Profile API's names for device identities, where they differ from IDSync's. */
const DEVICE_NAMES: Partial<Record<IdentityType, string>> = {
  android_aaid: 'google_advertising_id',
  android_uuid: 'android_id',
  roku_aid: 'roku_advertising_id',
  fire_aid: 'fire_advertising_id',
  microsoft_aid: 'microsoft_advertising_id',
};

/** Reads `?fields=`: required, comma-separated, from the documented list. */
export function parseFields(raw: string | undefined): Set<ProfileField> {
  if (!raw) {
    throw new FieldsMissing(PROFILE_FIELDS);
  }
  const fields = raw.split(',').map((f) => f.trim()).filter(Boolean);
  const unknown = fields.filter((f) => !(PROFILE_FIELDS as readonly string[]).includes(f));
  if (unknown.length > 0) {
    throw new FieldsUnknown(unknown, PROFILE_FIELDS);
  }
  return new Set(fields as ProfileField[]);
}

type Identity = { type: string; encoding: 'none'; value: string };

function identitiesOf(record: IdentityRecord | undefined): { user: Identity[]; device: Identity[] } {
  const user: Identity[] = [];
  const device: Identity[] = [];
  for (const [type, value] of Object.entries(record?.identities ?? {}) as [IdentityType, string][]) {
    if ((DEVICE_IDENTITY_TYPES as readonly string[]).includes(type)) device.push({ type: DEVICE_NAMES[type] ?? type, encoding: 'none', value });
    else user.push({ type, encoding: 'none', value });
  }
  return { user, device };
}

/** User attributes a profile shows beside its own (calculated attributes): by name, winning over the profile's. */
export type AttributeSource = (ws: WorkspaceId, mpid: Mpid) => Promise<Record<string, unknown>>;

/** A user's audience memberships as the Profile API shows them, kept by another capability (audiences). */
export type MembershipSource = (ws: WorkspaceId, mpid: Mpid) => Promise<Profile['audienceMemberships']>;

/** mParticle's Profile API: a profile by MPID or by an immutable identity, with the fields asked for. */
export class ProfileApi {
  private readonly sources: AttributeSource[] = [];
  private readonly memberships: MembershipSource[] = [];

  constructor(
    /** Profiles as last flushed: the processor writes them before it commits what it processed. */
    private readonly profiles: Pick<ProfileStore, 'get'>,
    private readonly graph: IdentityGraph,
    private readonly immutableIds: (ws: WorkspaceId) => ReadonlySet<IdentityType>,
  ) {}

  /** Adds attributes another capability keeps for users (calculated attributes) to `user_attributes`. */
  addAttributeSource(source: AttributeSource): void {
    this.sources.push(source);
  }

  /** Adds the audience memberships another capability keeps for users to `audience_memberships`. */
  addMembershipSource(source: MembershipSource): void {
    this.memberships.push(source);
  }

  async byMpid(ws: WorkspaceId, mpid: Mpid, fields: Set<ProfileField>): Promise<Record<string, unknown>> {
    const record = this.graph.record(ws, mpid);
    const stored = await this.profiles.get(ws, mpid);
    if (!record && !stored) throw new ProfileNotFound(mpid, ws);
    const profile = stored ?? newProfile(ws, mpid, record!.createdAtMs);
    const ids = identitiesOf(record);
    const body: Record<string, unknown> = {
      mpid: profile.mpid,
      created_timestamp_ms: record?.createdAtMs ?? profile.createdAtMs,
      last_stored_timestamp_ms: Math.max(profile.lastStoredAtMs, record?.updatedAtMs ?? 0),
      is_opted_out: profile.isOptedOut,
      limit_ad_tracking: profile.limitAdTracking,
    };
    if (fields.has('device_identities')) body.device_identities = ids.device;
    if (fields.has('user_identities')) body.user_identities = ids.user;
    body.account_userattributes = null;
    if (fields.has('user_attributes')) {
      const added = await Promise.all(this.sources.map((source) => source(ws, mpid)));
      body.user_attributes = Object.assign({ ...profile.userAttributes, ...profile.calculatedAttributes }, ...added);
    }
    if (fields.has('audience_memberships')) {
      const added = await Promise.all(this.memberships.map((source) => source(ws, mpid)));
      body.audience_memberships = [...profile.audienceMemberships, ...added.flat()];
    }
    if (fields.has('attribution')) body.attribution = profile.attribution;
    if (fields.has('consent_state')) body.consent_state = profile.consentState;
    return body;
  }

  async resolve(ws: WorkspaceId, body: unknown, fields: Set<ProfileField>): Promise<Record<string, unknown>> {
    const b = (typeof body === 'object' && body !== null ? body : {}) as {
      environment_type?: unknown;
      identity?: { type?: unknown; value?: unknown } | null;
    };
    const problems: ErrorDetail[] = [];
    if (b.environment_type !== 'production' && b.environment_type !== 'development') {
      problems.push(problem('environment_type must be "production" or "development".'));
    }
    const typeName = typeof b.identity?.type === 'string' ? b.identity.type : undefined;
    const value = typeof b.identity?.value === 'string' ? b.identity.value : undefined;
    if (!typeName || !value) problems.push(problem('identity.type and identity.value are required strings.'));
    if (problems.length > 0) throw new ResolveRequestInvalid(problems);
    const type = fromApiName(typeName!);
    const immutable = this.immutableIds(ws);
    if (!type || !immutable.has(type)) throw new IdentityNotImmutable(typeName!, [...immutable]);
    const found = this.graph.search(ws, { [type]: value! });
    if (!found) throw new IdentityHasNoProfile(type, value!);
    return this.byMpid(ws, found.mpid, fields);
  }
}
