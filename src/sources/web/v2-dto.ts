import { MessageNotObject, MessageTypeUnknown } from './web-errors.ts';
import { PRODUCT_ACTIONS } from '../../model/event-types.ts';
import type { USER_IDENTITY_TYPES } from '../../model/identity-types.ts';

/**
 * The Web SDK's legacy "V2 DTO": one event per message, short keys (`n` name, `dt` message
 * type, `et` event type, `ct` time, `attrs`, `ua`, `ui`, `das`, `mpid`, `sid`, `dbg`, `pd`/`pm`/
 * `pi` for commerce), as `/webevents/v2/JS/{key}/Events` received it from SDKs before batching
 * (mParticle Web SDK `serverModel.ts`, `convertEventToV2DTO`). Each message becomes one batch.
 */
type Dto = Record<string, unknown>;

/** The SDK's `MessageType` codes. */
const MESSAGE_TYPES: Record<number, string> = {
  1: 'session_start',
  2: 'session_end',
  3: 'screen_view',
  4: 'custom_event',
  5: 'crash_report',
  6: 'opt_out',
  10: 'application_state_transition',
  14: 'profile',
  16: 'commerce_event',
  17: 'user_attribute_change',
  18: 'user_identity_change',
  20: 'custom_event',
};

/** The SDK's `EventType` codes (0 Unknown .. 9 Media), as `custom_event_type` names. */
const EVENT_TYPES = ['unknown', 'navigation', 'location', 'search', 'transaction', 'user_content', 'user_preference', 'social', 'other', 'media'] as const;

/** The SDK's `IdentityType` codes. */
const IDENTITY_CODES: Record<number, (typeof USER_IDENTITY_TYPES)[number]> = {
  0: 'other', 1: 'customer_id', 2: 'facebook', 3: 'twitter', 4: 'google', 5: 'microsoft', 6: 'yahoo', 7: 'email',
  9: 'facebook_custom_audience_id', 10: 'other_id_2', 11: 'other_id_3', 12: 'other_id_4', 13: 'other_id_5',
  14: 'other_id_6', 15: 'other_id_7', 16: 'other_id_8', 17: 'other_id_9', 18: 'other_id_10', 19: 'mobile_number',
  20: 'phone_number_2', 21: 'phone_number_3',
};

/** The SDK's `ProductActionType` codes 1..10. */
const PRODUCT_ACTION_CODES: readonly string[] = ['unknown', ...PRODUCT_ACTIONS.filter((a) => a !== 'remove_from_wish_list')];

const product = (p: Dto) => ({
  id: p.id === undefined ? undefined : String(p.id),
  name: p.nm === undefined ? undefined : String(p.nm),
  price: p.pr,
  quantity: p.qt,
  brand: p.br === undefined ? undefined : String(p.br),
  variant: p.va === undefined ? undefined : String(p.va),
  category: p.ca === undefined ? undefined : String(p.ca),
  position: p.ps,
  coupon_code: p.cc === undefined ? undefined : String(p.cc),
  total_product_amount: p.tpa,
  custom_attributes: p.attrs ?? null,
});
const products = (list: unknown) => (Array.isArray(list) ? (list as Dto[]).map(product) : []);

function commerceData(d: Dto): Dto {
  const data: Dto = { currency_code: d.cu ?? null };
  const pd = d.pd as Dto | undefined;
  const pm = d.pm as Dto | undefined;
  if (pd) {
    data.product_action = {
      action: PRODUCT_ACTION_CODES[Number(pd.an)] ?? pd.an,
      checkout_step: pd.cs ?? null,
      checkout_options: pd.co ?? null,
      transaction_id: pd.ti ?? null,
      affiliation: pd.ta ?? null,
      coupon_code: pd.tcc ?? null,
      total_amount: pd.tr ?? null,
      shipping_amount: pd.ts ?? null,
      tax_amount: pd.tt ?? null,
      products: products(pd.pl),
    };
  } else if (pm) {
    data.promotion_action = {
      action: Number(pm.an) === 2 ? 'click' : 'view',
      promotions: (Array.isArray(pm.pl) ? (pm.pl as Dto[]) : []).map((p) => ({ id: p.id, name: p.nm, creative: p.cr, position: p.ps === undefined ? undefined : String(p.ps) })),
    };
  } else if (Array.isArray(d.pi)) {
    data.product_impressions = (d.pi as Dto[]).map((i) => ({ product_impression_list: i.pil ?? null, products: products(i.pl) }));
  }
  return data;
}

/** The SDK's short consent keys (`convertToConsentStateV2DTO`): `c` consented, `ts` timestamp, `d` document, `l` location, `h` hardware id. */
const CONSENT_KEYS = { c: 'consented', ts: 'timestamp_unixtime_ms', d: 'document', l: 'location', h: 'hardware_id' } as const;

/** The message's `con` as the Events API's `consent_state`: each purpose's short keys spelt out (long ones are kept as sent). */
function consentStateOf(con: unknown): unknown {
  if (typeof con !== 'object' || con === null || Array.isArray(con)) return con;
  const out: Dto = {};
  for (const [regulation, purposes] of Object.entries(con as Dto)) {
    if (typeof purposes !== 'object' || purposes === null || Array.isArray(purposes)) {
      out[regulation] = purposes;
      continue;
    }
    out[regulation] = Object.fromEntries(
      Object.entries(purposes as Dto).map(([purpose, c]) => [
        purpose,
        typeof c === 'object' && c !== null && !Array.isArray(c)
          ? Object.fromEntries(Object.entries(c as Dto).map(([k, v]) => [Object.hasOwn(CONSENT_KEYS, k) ? CONSENT_KEYS[k as keyof typeof CONSENT_KEYS] : k, v]))
          : c,
      ]),
    );
  }
  return out;
}

/** One legacy message to one Events API batch (validated afterwards like any other batch). */
export function batchFromV2Dto(d: unknown, index: number): Dto {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) throw new MessageNotObject(index);
  const dto = d as Dto;
  const eventType = MESSAGE_TYPES[Number(dto.dt)];
  if (!eventType) throw new MessageTypeUnknown(index, dto.dt);
  const data: Dto = {
    timestamp_unixtime_ms: dto.ct ?? null,
    session_uuid: dto.sid ?? null,
    source_message_id: dto.cgid ?? null,
    custom_attributes: dto.attrs ?? null,
    custom_flags: dto.flags ?? null,
  };
  if (eventType === 'custom_event') {
    data.event_name = dto.n;
    data.custom_event_type = Number(dto.dt) === 20 ? 'media' : (EVENT_TYPES[Number(dto.et)] ?? 'other');
  } else if (eventType === 'screen_view') data.screen_name = dto.n;
  else if (eventType === 'commerce_event') Object.assign(data, commerceData(dto), { event_name: dto.n ?? null });
  else if (eventType === 'opt_out') data.is_opted_out = dto.o === true;
  else if (eventType === 'application_state_transition') {
    Object.assign(data, { application_transition_type: 'application_initialized', is_first_run: dto.fr ?? false, is_upgrade: dto.iu ?? false, launch_referral: dto.lr ?? null });
  } else if (eventType === 'session_end') data.session_duration_ms = dto.sl ?? null;
  const identities: Record<string, string> = {};
  for (const ui of Array.isArray(dto.ui) ? (dto.ui as { Identity?: unknown; Type?: unknown }[]) : []) {
    const type = IDENTITY_CODES[Number(ui.Type)];
    if (type && typeof ui.Identity === 'string') identities[type] = ui.Identity;
  }
  return {
    environment: dto.dbg === true ? 'development' : 'production',
    ...(dto.mpid !== undefined && dto.mpid !== null && dto.mpid !== '0' && dto.mpid !== 0 ? { mpid: dto.mpid } : {}),
    ...(typeof dto.das === 'string' ? { mp_deviceid: dto.das } : {}),
    ...(typeof dto.sdk === 'string' ? { sdk_version: dto.sdk } : {}),
    ...(dto.con ? { consent_state: consentStateOf(dto.con) } : {}),
    ...(typeof dto.dp_id === 'string' ? { context: { data_plan: { plan_id: dto.dp_id, ...(dto.dp_v ? { plan_version: dto.dp_v } : {}) } } } : {}),
    application_info: dto.av ? { application_version: String(dto.av) } : null,
    device_info: { platform: 'web' },
    user_attributes: dto.ua ?? {},
    user_identities: identities,
    events: [{ event_type: eventType, data }],
  };
}

