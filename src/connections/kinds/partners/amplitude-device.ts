import type { Batch } from '../../../model/batch.ts';

/**
 * What Amplitude's events say about the device and the app, from a batch's `device_info` and
 * `application_info` (the Field Mappings of mParticle's Amplitude page), and the device id
 * Amplitude counts users by.
 */
export interface AmplitudeDeviceFields {
  platform?: string;
  os_name?: string;
  os_version?: string;
  device_brand?: string;
  device_manufacturer?: string;
  device_model?: string;
  carrier?: string;
  language?: string;
  app_version?: string;
  idfa?: string;
  adid?: string;
  android_id?: string;
}

/** Amplitude's `platform` and `os_name` for mParticle's platforms (the page: "iOS, Android, Apple TV, Web, Roku"; "iOS, tvOS, Android, Roku"). */
const PLATFORMS: Readonly<Record<string, { platform: string; os_name?: string }>> = {
  ios: { platform: 'iOS', os_name: 'iOS' },
  tvos: { platform: 'Apple TV', os_name: 'tvOS' },
  android: { platform: 'Android', os_name: 'Android' },
  roku: { platform: 'Roku', os_name: 'Roku' },
  web: { platform: 'Web' },
};

/** An id Amplitude would count: a non-empty string that is not an all-zero advertising id (what iOS sends when tracking is denied). */
function idOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return /^[0-]+$/.test(value) ? undefined : value;
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The batch's platform, lower case (`ios`, `android`, `web`, ...), or undefined. */
export function platformKeyOf(batch: Batch): string | undefined {
  return textOf(batch.device_info?.platform)?.toLowerCase();
}

export function deviceFieldsOf(batch: Batch): AmplitudeDeviceFields {
  const d = batch.device_info ?? {};
  const key = platformKeyOf(batch);
  const known = key === undefined ? undefined : PLATFORMS[key];
  const apple = key === 'ios' || key === 'tvos';
  const fields: AmplitudeDeviceFields = {
    platform: known?.platform ?? textOf(d.platform),
    os_name: known?.os_name,
    os_version: textOf(d.os_version),
    // The page: "not passed for Apple devices".
    device_brand: apple ? undefined : textOf(d.brand),
    device_manufacturer: textOf(d.device_manufacturer),
    device_model: textOf(d.device_model),
    carrier: textOf(d.network_carrier),
    language: textOf(d.locale_language),
    app_version: textOf(batch.application_info?.application_version),
    idfa: apple ? idOf(d.ios_advertising_id) : undefined,
    adid: key === 'android' ? idOf(d.android_advertising_id) : undefined,
    android_id: key === 'android' ? idOf(d.android_uuid) : undefined,
  };
  for (const k of Object.keys(fields) as (keyof AmplitudeDeviceFields)[]) if (fields[k] === undefined) delete fields[k];
  return fields;
}

/**
 * Amplitude's `device_id` by platform (the page's "Device/User ID Mapping"): Android ID, else the
 * Android advertising id; IDFA, else IDFV (iOS, tvOS); Roku advertising id, else publisher id;
 * Fire TV's advertising id. Other platforms (web) have none.
 */
export function deviceIdOf(batch: Batch): string | undefined {
  const d = batch.device_info ?? {};
  switch (platformKeyOf(batch)) {
    case 'android':
      return idOf(d.android_uuid) ?? idOf(d.android_advertising_id);
    case 'ios':
    case 'tvos':
      return idOf(d.ios_advertising_id) ?? idOf(d.ios_idfv);
    case 'roku':
      return idOf(d.roku_advertising_id) ?? idOf(d.roku_publisher_id);
    case 'fire_tv':
      return idOf(d.fire_advertising_id);
    default:
      return undefined;
  }
}
