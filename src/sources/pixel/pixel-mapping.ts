import { randomUUID } from 'node:crypto';
import { type ErrorDetail, problem } from '../../kernel/errors.ts';
import { PixelQueryInvalid } from './pixel-errors.ts';
import { CUSTOM_EVENT_TYPES } from '../../model/event-types.ts';

export type PixelQuery = Record<string, string | string[] | undefined>;

export interface PixelRequestMeta {
  ip: string | null;
  userAgent: string | null;
  nowMs: number;
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
/** A `*_k`/`*_v` list: comma-separated, each item URL-encoded on its own. */
const list = (v: string | string[] | undefined): string[] => {
  const text = Array.isArray(v) ? v.join(',') : v;
  return text ? text.split(',').map((item) => decodeURIComponent(item)) : [];
};
const pairs = (keys: string | string[] | undefined, values: string | string[] | undefined): Record<string, string> => {
  const k = list(keys);
  const v = list(values);
  return Object.fromEntries(k.flatMap((key, i) => (key && v[i] !== undefined ? [[key, v[i]]] : [])));
};

/**
 * One pixel GET to one mParticle batch (`reference/current/pixel-service.md`): `dt=AppEvent`
 * is a custom event, `dt=ScreenView` a screen view; `n` names it, `et` is its custom event type,
 * `ct` its time, `dbg=true` development data; attributes, user attributes, identities and flags
 * come as positionally paired `*_k`/`*_v` lists. The batch then goes through the Events API's
 * own validation.
 */
export function batchFromPixel(q: PixelQuery, meta: PixelRequestMeta): Record<string, unknown> {
  const problems: ErrorDetail[] = [];
  const name = one(q.n);
  const dt = one(q.dt) ?? 'AppEvent';
  if (!name) problems.push(problem('The n parameter (event or page name) is required.'));
  if (dt !== 'AppEvent' && dt !== 'ScreenView') problems.push(problem(`dt=${dt} is not supported; use AppEvent or ScreenView.`));
  const ctText = one(q.ct);
  const ct = ctText === undefined ? meta.nowMs : Number(ctText);
  if (!Number.isSafeInteger(ct)) problems.push(problem('ct must be the event time in Unix epoch milliseconds.'));
  const etText = (one(q.et) ?? 'Unknown').toLowerCase().replace(/_/g, '');
  const et = CUSTOM_EVENT_TYPES.find((t) => t.replace(/_/g, '') === etText);
  if (!et) problems.push(problem(`et=${one(q.et)} is not a custom event type; use e.g. Navigation, Transaction, Other.`));
  let consent: unknown;
  const consentText = one(q.consent_state);
  if (consentText) {
    try {
      consent = JSON.parse(consentText);
    } catch {
      problems.push(problem('consent_state must be URL-encoded JSON.'));
    }
  }
  if (problems.length > 0) throw new PixelQueryInvalid(problems);

  const lc = list(q.lc).map(Number);
  const data: Record<string, unknown> = {
    timestamp_unixtime_ms: ct,
    custom_attributes: pairs(q.attrs_k, q.attrs_v),
    ...(lc.length === 2 && lc.every(Number.isFinite) ? { location: { latitude: lc[0], longitude: lc[1] } } : {}),
  };
  const flags = pairs(q.flags_k, q.flags_v);
  if (Object.keys(flags).length > 0) data.custom_flags = flags;
  const event =
    dt === 'ScreenView'
      ? {
          event_type: 'screen_view',
          data: {
            ...data,
            screen_name: name,
            custom_attributes: {
              ...(data.custom_attributes as Record<string, string>),
              ...Object.fromEntries(
                (['hn', 'ttl', 'path'] as const).flatMap((k) => (one(q[k]) ? [[k === 'hn' ? 'url' : k === 'ttl' ? 'title' : 'path', one(q[k])!]] : [])),
              ),
            },
          },
        }
      : { event_type: 'custom_event', data: { ...data, event_name: name, custom_event_type: et } };
  const identities = pairs(q.ui_t, q.ui_v);
  const ampId = one(q.amp_id);
  const av = one(q.av);
  return {
    environment: one(q.dbg) === 'true' ? 'development' : 'production',
    source_request_id: randomUUID(),
    user_identities: identities,
    user_attributes: pairs(q.ua_k, q.ua_v),
    device_info: {
      platform: 'web',
      ...(meta.userAgent ? { http_header_user_agent: meta.userAgent } : {}),
      ...(ampId ? { amp_id: ampId } : {}),
    },
    ...(av ? { application_info: { application_version: av } } : {}),
    ...(meta.ip ? { ip: meta.ip } : {}),
    ...(consent !== undefined ? { consent_state: consent } : {}),
    events: [event],
  };
}
