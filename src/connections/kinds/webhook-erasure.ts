import type { ErasureNotice } from '../../privacy/subject-data.ts';
import { sendHttp } from '../http-send.ts';
import type { Output, OutputOptions, SettingSpec, Settings } from '../output.ts';

/** The message type an erasure request is POSTed as, beside event batches (which have none). */
export const ERASURE_REQUEST_TYPE = 'dsr_erasure_request';

/** The webhook's switch for erasure forwarding (mParticle's per-partner forwarding status toggle). */
export const ERASURE_SETTING: SettingSpec = {
  name: 'forward_erasure_requests',
  type: 'bool',
  is_required: false,
  default: true,
  description: `If enabled, the workspace's data subject erasure requests (DSR API v3) are POSTed to the URL too, as JSON of type "${ERASURE_REQUEST_TYPE}" (OpenDSR's request fields, the identities and the MPIDs).`,
};

/**
 * The body a webhook receives for an erasure request: an OpenDSR v3 request, as a controller
 * would send it to a processor (`subject_request_id`, `subject_request_type`, `regulation`,
 * `submitted_time`, `subject_identities` keyed by OpenDSR identity type, each
 * `{value, encoding: "raw"}`), with `type` telling it from an event batch, the users' MPIDs as
 * decimal strings and when it was sent.
 *
 * @example
 *   {"type":"dsr_erasure_request","api_version":"3.0","subject_request_id":"a7551968-d5d6-44b2-9831-815ac9017798",
 *    "subject_request_type":"erasure","regulation":"gdpr","submitted_time":"2021-11-01T15:00:00Z",
 *    "subject_identities":{"email":{"value":"johndoe@example.com","encoding":"raw"}},
 *    "mpids":["7346244611012968789"],"timestamp_ms":1700000000000}
 */
export function erasureRequestBody(notice: ErasureNotice, nowMs = Date.now()): string {
  const identities = Object.fromEntries(Object.entries(notice.identities).map(([type, value]) => [type, { value, encoding: 'raw' }]));
  return JSON.stringify({
    type: ERASURE_REQUEST_TYPE,
    api_version: '3.0',
    subject_request_id: notice.subjectRequestId,
    subject_request_type: 'erasure',
    regulation: notice.regulation,
    submitted_time: notice.submittedTime,
    subject_identities: identities,
    mpids: [...notice.mpids],
    timestamp_ms: nowMs,
  });
}

/**
 * The webhook's part of erasure forwarding: one POST of {@link erasureRequestBody} to its URL,
 * with its authorization header and the request's idempotency key; nothing when its
 * `forward_erasure_requests` switch is off. A webhook takes every identity, so it skips only a
 * request with neither identities nor MPIDs.
 */
export function webhookErasure(settings: Settings, options: OutputOptions): Pick<Output, 'forwardErasure'> {
  if (settings[ERASURE_SETTING.name] === false) return {};
  const url = settings.url as string;
  const authorization = settings.authorization_header;
  const headers: Record<string, string> = typeof authorization === 'string' ? { authorization } : {};
  return {
    async forwardErasure(notice, key) {
      if (Object.keys(notice.identities).length === 0 && notice.mpids.length === 0) return { status: 'skipped', message: 'The request has no identity or MPID to forward.' };
      await sendHttp({ url, headers, body: erasureRequestBody(notice) }, key, options.timeoutMs);
      return { status: 'sent' };
    },
  };
}
