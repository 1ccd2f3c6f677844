import type { Batch } from '../model/batch.ts';
import { USER_IDENTITY_TYPES } from '../model/identity-types.ts';

/**
 * Every identity IDSync resolves: the user identities of the Events API (customer_id, email,
 * other_id_2..10, phone numbers, social ids...) and the device identities of the Identity API.
 * Quanta names user identities as the Events API does; the Identity API's spellings
 * (`customerid`, `facebookcustomaudienceid`) are mapped at its edge.
 */
export const DEVICE_IDENTITY_TYPES = [
  'ios_idfa',
  'ios_idfv',
  'android_aaid',
  'android_uuid',
  'push_token',
  'roku_aid',
  'roku_publisher_id',
  'fire_aid',
  'amp_id',
  'microsoft_aid',
  'microsoft_publisher_id',
  'device_application_stamp',
] as const;

export const IDENTITY_TYPES = [...USER_IDENTITY_TYPES, ...DEVICE_IDENTITY_TYPES] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/** Identity API spelling -> Quanta's name, where they differ. */
const API_NAMES: Readonly<Record<string, IdentityType>> = {
  customerid: 'customer_id',
  facebookcustomaudienceid: 'facebook_custom_audience_id',
};
const API_SPELLING: Readonly<Partial<Record<IdentityType, string>>> = {
  customer_id: 'customerid',
  facebook_custom_audience_id: 'facebookcustomaudienceid',
};

/** Reads an Identity API identity key; undefined when it names no identity type. */
export function fromApiName(key: string): IdentityType | undefined {
  const mapped = API_NAMES[key];
  if (mapped) return mapped;
  return (IDENTITY_TYPES as readonly string[]).includes(key) ? (key as IdentityType) : undefined;
}

export function toApiName(type: IdentityType): string {
  return API_SPELLING[type] ?? type;
}

export type Identities = Partial<Record<IdentityType, string>>;

/** `device_info` fields that carry a device identity, and the identity they are. */
const DEVICE_INFO_IDS: Readonly<Record<string, IdentityType>> = {
  ios_advertising_id: 'ios_idfa',
  ios_idfv: 'ios_idfv',
  android_advertising_id: 'android_aaid',
  android_uuid: 'android_uuid',
  push_token: 'push_token',
  roku_advertising_id: 'roku_aid',
  roku_publisher_id: 'roku_publisher_id',
  fire_advertising_id: 'fire_aid',
  amp_id: 'amp_id',
  microsoft_advertising_id: 'microsoft_aid',
  microsoft_publisher_id: 'microsoft_publisher_id',
};

/**
 * The identities a batch carries: its user identities, the device ids in `device_info`, and the
 * Web SDK's `mp_deviceid` as the device application stamp.
 */
export function identitiesOfBatch(batch: Batch): Identities {
  const ids: Identities = { ...(batch.user_identities as Identities) };
  const device = batch.device_info ?? {};
  for (const field in DEVICE_INFO_IDS) {
    const value = device[field];
    if (typeof value === 'string' && value !== '') ids[DEVICE_INFO_IDS[field]!] = value;
  }
  if (batch.mp_deviceid) ids.device_application_stamp = batch.mp_deviceid;
  return ids;
}
