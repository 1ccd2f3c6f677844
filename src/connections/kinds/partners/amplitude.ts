import { consentEvents } from '../../../consent/system-notifications.ts';
import type { Batch, BatchEvent } from '../../../model/batch.ts';
import type { HttpRequest } from '../../http-send.ts';
import type { SettingSpec, Settings } from '../../output.ts';
import type { StreamBatch } from '../../stream-batch.ts';
import { type AmplitudeDeviceFields, deviceFieldsOf, deviceIdOf } from './amplitude-device.ts';
import { type AmplitudeEventOptions, mapEvent } from './amplitude-events.ts';
import { eventTimeMs, sessionStarts } from './event-time.ts';
import { chosenIdentity, IDENTITY_CHOICES, type IdentityChoice } from './identity-choice.ts';
import { reservedValue, withoutDollar } from './reserved-attributes.ts';
import { settingValues } from './setting-values.ts';

/**
 * mParticle's Amplitude event integration, as a pure mapping: stream batches in, the requests to
 * Amplitude's HTTP V2 API (`POST /2/httpapi`, `{api_key, events, options}`) out. Every event gets
 * an `insert_id` that is the same on every delivery of it, so Amplitude drops the copies that
 * at-least-once delivery (and a split request retried whole) may send.
 */

export const AMPLITUDE_ENDPOINT = 'https://api2.amplitude.com/2/httpapi';
/** Amplitude's HTTP V2 limits per request: 2,000 events and a 1 MB body (it answers 413 above them). */
export const AMPLITUDE_MAX_EVENTS = 2000;
export const AMPLITUDE_MAX_BODY_BYTES = 1_000_000;
/**
 * Stream batches per delivery. Requests are split to the limits above whatever this is; ten
 * keeps one user's typical batches (a few dozen events) in one request, and a retry small.
 */
export const AMPLITUDE_MAX_BATCHES = 10;
/** The `library` label Amplitude shows: the page's "always set to 'mParticle'". */
export const AMPLITUDE_LIBRARY = 'mParticle';
/** Amplitude's default minimum length of `user_id` and `device_id`. */
const AMPLITUDE_MIN_ID_LENGTH = 5;
const ANONYMOUS_IDS = ['none', 'device_application_stamp', 'device_application_stamp_and_mpid'] as const;

export const AMPLITUDE_SETTINGS: readonly SettingSpec[] = [
  { name: 'api_key', type: 'string', is_required: true, is_confidential: true, description: 'The API key of your Amplitude project (Amplitude: Project Settings).' },
  {
    name: 'endpoint',
    type: 'url',
    is_required: false,
    default: AMPLITUDE_ENDPOINT,
    description: `Amplitude's HTTP V2 API: ${AMPLITUDE_ENDPOINT} for a US organization, https://api.eu.amplitude.com/2/httpapi for an EU one. Amplitude's Batch API (https://api2.amplitude.com/batch, EU https://api.eu.amplitude.com/batch) takes the same requests, with a higher rate limit and a slight delay.`,
  },
  {
    name: 'user_identification',
    type: 'string',
    is_required: false,
    default: 'customer_id',
    one_of: IDENTITY_CHOICES,
    description: 'The identity sent as Amplitude\'s user_id: Customer ID, Email, the MPID, or one of the Other IDs.',
  },
  {
    name: 'anonymous_id_forwarding',
    type: 'string',
    is_required: false,
    default: 'none',
    one_of: ANONYMOUS_IDS,
    description: 'When a batch has no device id, send one derived from its MP device id (device_application_stamp), or from its MP device id and MPID (device_application_stamp_and_mpid, "<das>-<mpid>": a partner feed\'s MP device id is the same for every user); none sends none.',
  },
  { name: 'include_email_in_user_properties', type: 'bool', is_required: false, default: false, description: 'If enabled, the email identity is sent in user_properties as email.' },
  { name: 'allow_unset_user_attributes', type: 'bool', is_required: false, default: true, description: 'If enabled, deleted user attributes are removed in Amplitude with the $unset operation.' },
  {
    name: 'prefix_attribution_with_source',
    type: 'bool',
    is_required: false,
    default: true,
    description: 'If enabled, attribution events and their attributes (sent as user properties) are prefixed with the attribution source: "[AppsFlyer] attribution".',
  },
  {
    name: 'send_application_state_transitions',
    type: 'bool',
    is_required: false,
    default: false,
    description: 'If enabled, application state transitions are sent as Install, Upgrade, Application Initialized, Application Exit, Application Background and Application Foreground.',
  },
  {
    name: 'send_event_attributes_as_objects',
    type: 'bool',
    is_required: false,
    default: false,
    description: 'If enabled, event attributes holding serialized JSON are sent as the values they hold (objects, arrays, numbers, booleans, null); others as they are.',
  },
  {
    name: 'min_id_length',
    type: 'int',
    is_required: false,
    default: AMPLITUDE_MIN_ID_LENGTH,
    description: `The shortest user_id and device_id Amplitude accepts (its default is ${AMPLITUDE_MIN_ID_LENGTH}; another value is sent as options.min_id_length). A shorter id is not sent: Amplitude would refuse the whole request.`,
  },
];

/** One event of Amplitude's HTTP V2 API, as Quanta sends it. */
export interface AmplitudeEvent extends AmplitudeDeviceFields {
  user_id?: string;
  device_id?: string;
  event_type: string;
  time: number;
  insert_id: string;
  session_id?: number;
  event_properties?: Record<string, unknown>;
  user_properties?: Record<string, unknown>;
  library: string;
  ip?: string;
  location_lat?: number;
  location_lng?: number;
  city?: string;
  region?: string;
  country?: string;
  dma?: string;
  price?: number;
  quantity?: number;
  revenue?: number;
  revenueType?: string;
}

interface AmplitudeConfig extends AmplitudeEventOptions {
  apiKey: string;
  endpoint: string;
  userIdentification: IdentityChoice;
  anonymousIds: (typeof ANONYMOUS_IDS)[number];
  includeEmail: boolean;
  allowUnset: boolean;
  minIdLength: number;
}

function configOf(settings: Settings): AmplitudeConfig {
  const s = settingValues(AMPLITUDE_SETTINGS, settings);
  return {
    apiKey: s.text('api_key') ?? '',
    endpoint: s.text('endpoint') ?? AMPLITUDE_ENDPOINT,
    userIdentification: s.choice('user_identification', IDENTITY_CHOICES),
    anonymousIds: s.choice('anonymous_id_forwarding', ANONYMOUS_IDS),
    includeEmail: s.flag('include_email_in_user_properties'),
    allowUnset: s.flag('allow_unset_user_attributes'),
    prefixAttribution: s.flag('prefix_attribution_with_source'),
    sendTransitions: s.flag('send_application_state_transitions'),
    attributesAsObjects: s.flag('send_event_attributes_as_objects'),
    minIdLength: s.whole('min_id_length'),
  };
}

const nonEmpty = (o: Record<string, unknown>) => (Object.keys(o).length > 0 ? o : undefined);
const textOf = (v: unknown) => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/** A batch's user properties: its user attributes without their `$` (Amplitude reads `$set` as an operation), and the attributes to unset. */
interface UserProperties {
  set: Record<string, unknown>;
  unset: string[];
}

function userPropertiesOf(batch: Batch, config: AmplitudeConfig): UserProperties {
  const set: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(batch.user_attributes)) {
    const name = withoutDollar(key);
    // A user tag (an attribute without a value) has no user property to be.
    if (name !== '' && value !== null && value !== undefined) set[name] = value;
  }
  const email = batch.user_identities.email;
  if (config.includeEmail && email) set.email = email;
  const unset = config.allowUnset ? (batch.deleted_user_attributes ?? []).map(withoutDollar).filter((k) => k !== '' && !(k in set)) : [];
  return { set, unset };
}

/** As Amplitude takes them: plain properties, or operations (`$set`, `$unset`) when there is something to unset or the event is an `$identify`. */
function amplitudeUserProperties(p: UserProperties, extra: Record<string, unknown> | undefined, operations: boolean): Record<string, unknown> | undefined {
  const set = extra ? { ...p.set, ...extra } : p.set;
  if (!operations && p.unset.length === 0) return nonEmpty(set);
  const ops: Record<string, unknown> = {};
  if (Object.keys(set).length > 0) ops.$set = set;
  if (p.unset.length > 0) ops.$unset = Object.fromEntries(p.unset.map((k) => [k, '-']));
  return nonEmpty(ops);
}

/** `user_id` (the chosen identity) and `device_id`, each only if long enough for Amplitude; null when there is neither (the page: not forwarded). */
function idsOf(from: StreamBatch, config: AmplitudeConfig): Pick<AmplitudeEvent, 'user_id' | 'device_id'> | null {
  const { batch } = from;
  const usable = (id: string | undefined) => (id !== undefined && id !== '' && id.length >= config.minIdLength ? id : undefined);
  const user_id = usable(chosenIdentity(batch.user_identities, from.mpid, config.userIdentification));
  let device_id = usable(deviceIdOf(batch));
  const das = typeof batch.mp_deviceid === 'string' && batch.mp_deviceid !== '' ? batch.mp_deviceid : undefined;
  if (device_id === undefined && das !== undefined && config.anonymousIds !== 'none') {
    device_id = usable(config.anonymousIds === 'device_application_stamp' ? das : `${das}-${from.mpid}`);
  }
  if (user_id === undefined && device_id === undefined) return null;
  return { ...(user_id !== undefined && { user_id }), ...(device_id !== undefined && { device_id }) };
}

interface Place {
  latitude?: number | null;
  longitude?: number | null;
  city_name?: string | null;
  region_code?: string | null;
  country_code?: string | null;
}

/** Where the event happened: its `location`, else the batch's (`context.location`), else the user's `$City`, `$State`, `$Country`. */
function placeOf(event: BatchEvent, batch: Batch): Pick<AmplitudeEvent, 'location_lat' | 'location_lng' | 'city' | 'region' | 'country'> {
  const loc = (event.data.location ?? batch.context?.location ?? {}) as Place;
  const attrs = batch.user_attributes;
  const out: Pick<AmplitudeEvent, 'location_lat' | 'location_lng' | 'city' | 'region' | 'country'> = {};
  if (typeof loc.latitude === 'number' && typeof loc.longitude === 'number') {
    out.location_lat = loc.latitude;
    out.location_lng = loc.longitude;
  }
  const city = textOf(loc.city_name) ?? textOf(reservedValue(attrs, '$city'));
  const region = textOf(loc.region_code) ?? textOf(reservedValue(attrs, '$state'));
  const country = textOf(loc.country_code) ?? textOf(reservedValue(attrs, '$country'));
  if (city !== undefined) out.city = city;
  if (region !== undefined) out.region = region;
  if (country !== undefined) out.country = country;
  return out;
}

function eventsOfBatch(from: StreamBatch, config: AmplitudeConfig, starts: ReadonlyMap<string, number>): AmplitudeEvent[] {
  const { batch } = from;
  const ids = idsOf(from, config);
  if (ids === null) return [];
  const dma = textOf(batch.user_attributes.dma);
  const common = {
    ...ids,
    ...deviceFieldsOf(batch),
    library: AMPLITUDE_LIBRARY,
    ...(typeof batch.ip === 'string' && batch.ip !== '' && { ip: batch.ip }),
    ...(dma !== undefined && { dma }),
  };
  const user = userPropertiesOf(batch, config);
  const out: AmplitudeEvent[] = [];
  // Consent changes go as the guide's "Consent Given" / "Consent Rejected" custom events, after the batch's own.
  const consent = consentEvents(batch);
  (consent.length === 0 ? batch.events : [...batch.events, ...consent]).forEach((event, index) => {
    const id = event.data.source_message_id || `${from.mpid}-${from.seq}-${index}`;
    const uuid = event.data.session_uuid;
    const session_id = typeof uuid === 'string' ? starts.get(uuid) : undefined;
    const time = eventTimeMs(event, from);
    const place = placeOf(event, batch);
    for (const m of mapEvent(event, config)) {
      const e: AmplitudeEvent = { ...common, ...place, event_type: m.type, time, insert_id: m.part ? `${id}-${m.part}` : id };
      if (session_id !== undefined) e.session_id = session_id;
      const properties = m.properties && nonEmpty(m.properties);
      if (properties) e.event_properties = properties;
      const userProperties = amplitudeUserProperties(user, m.userProperties, false);
      if (userProperties) e.user_properties = userProperties;
      out.push({ ...e, ...m.revenue });
    }
  });
  // The page: identities and attributes are forwarded "even if there are no events in the batch".
  const identify = out.length === 0 ? amplitudeUserProperties(user, undefined, true) : undefined;
  if (identify) {
    out.push({
      ...common,
      event_type: '$identify',
      time: batch.timestamp_unixtime_ms ?? from.receivedAtMs,
      insert_id: `${from.mpid}-${from.seq}-identify`,
      user_properties: identify,
    });
  }
  return out;
}

/**
 * The requests that send these batches' events to Amplitude (the page's Event Data Mapping and
 * Field Mappings), in order, each within {@link AMPLITUDE_MAX_EVENTS} and
 * {@link AMPLITUDE_MAX_BODY_BYTES}; none when no event is for Amplitude. A batch with neither a
 * usable `user_id` nor `device_id` is not sent (the page: "If no accepted identifiers are
 * present, data will not be forwarded"): Amplitude would refuse the request.
 *
 * @example
 * for (const request of amplitudeRequests(batches, settings)) await sendHttp(request, `${key}-${i++}`, timeoutMs);
 */
export function amplitudeRequests(batches: readonly StreamBatch[], settings: Settings): HttpRequest[] {
  const config = configOf(settings);
  const starts = sessionStarts(batches);
  const events = batches.flatMap((b) => eventsOfBatch(b, config, starts));
  const head = `{"api_key":${JSON.stringify(config.apiKey)},"events":[`;
  const tail = config.minIdLength === AMPLITUDE_MIN_ID_LENGTH ? ']}' : `],"options":${JSON.stringify({ min_id_length: config.minIdLength })}}`;
  const envelope = Buffer.byteLength(head) + Buffer.byteLength(tail);
  const requests: HttpRequest[] = [];
  let chunk: string[] = [];
  let bytes = envelope;
  const flush = () => {
    requests.push({ url: config.endpoint, headers: { 'content-type': 'application/json', accept: '*/*' }, body: head + chunk.join(',') + tail });
    chunk = [];
    bytes = envelope;
  };
  for (const event of events) {
    const text = JSON.stringify(event);
    const size = Buffer.byteLength(text) + 1;
    // An event too large alone still goes alone: Amplitude's 413 then says why.
    if (chunk.length > 0 && (chunk.length === AMPLITUDE_MAX_EVENTS || bytes + size > AMPLITUDE_MAX_BODY_BYTES)) flush();
    chunk.push(text);
    bytes += size;
  }
  if (chunk.length > 0) flush();
  return requests;
}
