import { stringifyLossless } from '../../kernel/lossless-json.ts';
import type { Batch } from '../../model/batch.ts';
import type { EventType } from '../../model/event-types.ts';
import type { OutputKind, SettingSpec, Settings } from '../output.ts';
import { batchJson, type StreamBatch, withBatch } from '../stream-batch.ts';
import { type ChangeRequestBuilder, httpOutput, type RequestBuilder } from './http-output.ts';
import { ERASURE_SETTING, webhookErasure } from './webhook-erasure.ts';

/** The webhook page's "Send ..." switches, each with the event types it governs. */
const SWITCHES: readonly { name: string; label: string; types: readonly EventType[]; default: boolean }[] = [
  { name: 'send_crash_events', label: 'app crashes', types: ['crash_report'], default: true },
  { name: 'send_custom_events', label: 'custom events', types: ['custom_event'], default: true },
  {
    name: 'send_lifecycle_events',
    label: 'lifecycle events (application state transitions, session start and end, first run, uninstall)',
    types: ['application_state_transition', 'session_start', 'session_end', 'first_run', 'uninstall'],
    default: true,
  },
  { name: 'send_network_performance_events', label: 'network performance events', types: ['network_performance'], default: true },
  { name: 'send_push_registrations_and_receipts', label: 'push registrations and receipts', types: ['push_registration', 'push_message', 'push_reaction'], default: true },
  { name: 'send_screen_views', label: 'screen views', types: ['screen_view'], default: true },
  { name: 'send_commerce_events', label: 'commerce events', types: ['commerce_event'], default: true },
  { name: 'include_user_attribute_change_events', label: 'user attribute change events', types: ['user_attribute_change'], default: false },
  { name: 'include_user_identity_change_events', label: 'user identity change events', types: ['user_identity_change'], default: false },
];

const SETTINGS: readonly SettingSpec[] = [
  { name: 'url', type: 'url', is_required: true, description: 'The URL to POST your events to, including its scheme (http or https).' },
  { name: 'authorization_header', type: 'string', is_required: false, is_confidential: true, description: 'The HTTP Authorization header to send with each POST, e.g. "Basic <base64 of user:password>".' },
  {
    name: 'send_as_batch',
    type: 'bool',
    is_required: false,
    default: true,
    description: 'If enabled, each batch is POSTed as it was received (one POST per batch); if disabled, each event is POSTed on its own, in a batch of one event.',
  },
  {
    name: 'batches_per_request',
    type: 'int',
    is_required: false,
    default: 1,
    description: 'With send_as_batch: 1 POSTs each batch as its own JSON object (mParticle\'s format); more POSTs up to this many batches at once, as a JSON array of batch objects (each user\'s in order).',
  },
  { name: 'include_metadata', type: 'bool', is_required: false, default: true, description: 'If enabled, application_info, device_info and source_info are forwarded with each batch.' },
  { name: 'include_mp_deviceid', type: 'bool', is_required: false, default: false, description: 'If enabled, the MP DeviceId (mp_deviceid) is forwarded with each batch.' },
  { name: 'send_batches_without_events', type: 'bool', is_required: false, default: true, description: 'If enabled, a batch that holds no events (after filtering) is forwarded.' },
  ERASURE_SETTING,
  {
    name: 'send_system_notifications',
    type: 'bool',
    is_required: false,
    default: true,
    description: "If enabled, a batch that changed the user's consent state carries system_notifications, one gdpr_change or ccpa_change per purpose, with the old and new consent.",
  },
  ...SWITCHES.map((s): SettingSpec => ({
    name: s.name,
    type: 'bool',
    is_required: false,
    default: s.default,
    description: `If enabled, ${s.label} are forwarded.`,
  })),
];

const METADATA = ['application_info', 'device_info', 'source_info'] as const;

/**
 * The batch the webhook sends: mParticle's JSON batch format, its events and metadata as the
 * settings say. A batch with nothing to remove is answered as it is, found from its stored JSON
 * without parsing it (the usual case: the event types switched off by default are rare).
 */
function selectFor(settings: Settings): (b: StreamBatch) => StreamBatch | null {
  const dropped = new Set<string>(SWITCHES.filter((s) => settings[s.name] === false).flatMap((s) => s.types));
  const droppedNames = [...dropped].map((t) => `"${t}"`);
  const withoutEvents = settings.send_batches_without_events !== false;
  const metadata = settings.include_metadata !== false;
  const deviceId = settings.include_mp_deviceid === true;
  const notifications = settings.send_system_notifications !== false;
  const untouched = (text: string) =>
    withoutEvents && metadata && (deviceId || !text.includes('"mp_deviceid"')) && (notifications || !text.includes('"system_notifications"')) && droppedNames.every((name) => !text.includes(name));
  return (b) => {
    if (b.text !== undefined && untouched(b.text)) return b;
    const batch = b.batch;
    const events = dropped.size === 0 ? batch.events : batch.events.filter((e) => !dropped.has(e.event_type));
    if (events.length === 0 && !withoutEvents) return null;
    if (events === batch.events && metadata && (deviceId || batch.mp_deviceid === undefined) && (notifications || batch.system_notifications === undefined)) return b;
    const out: Batch = { ...batch, events };
    if (!metadata) for (const key of METADATA) delete out[key];
    if (!deviceId) delete out.mp_deviceid;
    if (!notifications) delete out.system_notifications;
    return withBatch(b, out);
  };
}

/** The headers every POST carries: the `authorization_header` setting, when set. */
function headersOf(settings: Settings): Record<string, string> {
  const authorization = settings.authorization_header;
  return typeof authorization === 'string' ? { authorization } : {};
}

/**
 * One POST per batch (mParticle's format), or up to `batches_per_request` batches in a JSON array
 * per POST, or (`send_as_batch` off) one POST per event, each in its batch's envelope.
 */
function requestsFor(settings: Settings): RequestBuilder {
  const url = settings.url as string;
  const headers = headersOf(settings);
  const perEvent = settings.send_as_batch === false;
  const many = (settings.batches_per_request as number) > 1;
  return (batches) => {
    if (perEvent) {
      return batches.flatMap((b) => {
        const batch: Batch = { ...b.batch, mpid: b.mpid };
        return batch.events.map((event) => ({ url, headers, body: stringifyLossless({ ...batch, events: [event] }) }));
      });
    }
    if (many) return [{ url, headers, body: `[${batches.map(batchJson).join(',')}]` }];
    return batches.map((b) => ({ url, headers, body: batchJson(b) }));
  };
}

/** The most batches one POST may carry (`batches_per_request`). */
const MAX_BATCHES_PER_REQUEST = 500;

/** Membership changes one POST carries. */
const MEMBERSHIP_CHANGES_PER_POST = 100;

const ACTIONS = { added: 'add', removed: 'delete' } as const;

/**
 * Audience connections: one POST of up to 100 membership changes in the shape of mParticle's
 * Firehose `audience_membership_change_request` (each user profile with its MPID, identities and
 * the audience it was added to or deleted from), so a receiver written for mParticle's audience
 * membership requests reads it as it is.
 */
function membershipRequestsFor(settings: Settings): ChangeRequestBuilder {
  const url = settings.url as string;
  const headers = headersOf(settings);
  return (changes) => [
    {
      url,
      headers,
      body: stringifyLossless({
        type: 'audience_membership_change_request',
        timestamp_ms: Date.now(),
        user_profiles: changes.map((c) => ({
          mpid: c.mpid,
          user_identities: Object.entries(c.identities).map(([type, value]) => ({ type, encoding: 'raw', value })),
          audiences: [{ audience_id: c.audienceId, audience_name: c.audienceName, action: ACTIONS[c.change], timestamp_ms: c.atMs }],
        })),
      }),
    },
  ];
}

/** mParticle's Webhook event output: the JSON reference's batch format, POSTed to a URL. */
export const webhook: OutputKind = {
  name: 'webhook',
  description: 'POSTs your events to an HTTP endpoint in mParticle\'s JSON batch format, one POST per batch (or per event); audience connections POST membership changes as mParticle\'s audience membership change requests; data subject erasure requests are POSTed as dsr_erasure_request messages.',
  settings: SETTINGS,
  audiences: true,
  open: (settings, options) => ({
    ...httpOutput(settings, options, {
      maxBatches: Math.max(1, Math.min(MAX_BATCHES_PER_REQUEST, settings.batches_per_request as number)),
      batches: requestsFor(settings),
      select: selectFor(settings),
      changes: { max: MEMBERSHIP_CHANGES_PER_POST, build: membershipRequestsFor(settings) },
    }),
    ...webhookErasure(settings, options),
  }),
};
