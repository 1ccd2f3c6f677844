import { type ErrorDetail, problem } from '../../kernel/errors.ts';
import type { Batch, BatchEvent, UserIdentities } from '../../model/batch.ts';

/**
 * Segment's HTTP API messages mapped to mParticle event batches, as mParticle's
 * "Segment-to-mParticle Migration Reference" describes (its "Mapping Quick Reference" and the
 * identify/track/page sections). Pure functions: the route authenticates and hands the result to IngestService,
 * which validates, resolves (IDSync) and stores each batch like any Events API batch.
 *
 * One Segment message becomes one mParticle batch (the user's identities, attributes, device and
 * app info, and at most one event), with the message's `messageId` as the batch's
 * `source_request_id`, so a retried message is stored once.
 *
 * | Segment                         | mParticle                                                     |
 * | ------------------------------- | ------------------------------------------------------------- |
 * | userId                          | user_identities.customer_id                                   |
 * | anonymousId                     | user_identities.other                                         |
 * | traits (identify), context.traits | user_attributes (nested objects flattened: `address.city`); `email` → user_identities.email |
 * | track event / properties        | custom_event: event_name / custom_attributes                 |
 * | page, screen name / properties  | screen_view: screen_name / custom_attributes                  |
 * | identify                        | a batch with identities and user attributes, no event        |
 * | group groupId / traits          | user attributes `group.id` / `group.<trait>`, no event        |
 * | alias previousId → userId       | user_identity_change (old: other = previousId, new: customer_id = userId), both identities on the batch |
 * | messageId                       | source_request_id and the event's source_message_id          |
 * | timestamp / originalTimestamp, sentAt | timestamp_unixtime_ms (batch and event)                 |
 * | context.ip                      | ip                                                            |
 * | context.userAgent, device, os, screen, network, locale | device_info                          |
 * | context.app                     | application_info                                              |
 * | context.location                | context.location                                              |
 */

export const SEGMENT_CALL_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentCallType = (typeof SEGMENT_CALL_TYPES)[number];

/** Segment's documented HTTP API limits: 32 KB per message, 500 KB per batch request. */
export const SEGMENT_LIMITS = {
  messageBytes: 32 * 1024,
  batchBytes: 500 * 1024,
} as const;

/** Prefix of the user attributes a `group` call sets. */
export const GROUP_ATTRIBUTE_PREFIX = 'group.';

export function isSegmentCallType(value: unknown): value is SegmentCallType {
  return typeof value === 'string' && (SEGMENT_CALL_TYPES as readonly string[]).includes(value);
}

export type SegmentMapResult = { ok: true; batches: Batch[] } | { ok: false; problems: ErrorDetail[] };

export interface SegmentMapOptions {
  /** When the request arrived; corrects a client clock with `sentAt` and `originalTimestamp`. */
  receivedAtMs: number;
}

type Json = Record<string, unknown>;

/** What the whole request shares: the batch-level `sentAt` and `context` of `/v1/batch`. */
interface Shared {
  receivedAtMs: number;
  sentAtMs: number | undefined;
  context: Json | undefined;
}

/**
 * Maps the body of `POST /v1/batch` (`{batch: [...], writeKey, sentAt, context?}`) to one batch
 * per message, or every problem found (each naming its message, `batch[3].event`).
 */
export function mapSegmentBatch(body: unknown, options: SegmentMapOptions): SegmentMapResult {
  if (!isObject(body)) return fail('The request body must be a JSON object: {"batch": [messages...]}.');
  const messages = body.batch;
  if (!Array.isArray(messages)) return fail('Field "batch" must be an array of Segment messages.');
  if (messages.length === 0) return fail('Field "batch" is an empty array; send at least one message.');
  const problems: ErrorDetail[] = [];
  const context = body.context;
  if (context !== undefined && context !== null && !isObject(context)) problems.push(problem('Field "context" must be an object.'));
  const sentAtMs = timeOf(body.sentAt, 'sentAt', problems);
  const shared: Shared = { receivedAtMs: options.receivedAtMs, sentAtMs, context: isObject(context) ? context : undefined };
  const batches: Batch[] = [];
  messages.forEach((message: unknown, i) => {
    const where = `batch[${i}]`;
    if (!isObject(message)) {
      problems.push(problem(`${where} must be a JSON object (a Segment message).`));
      return;
    }
    const type = message.type;
    if (!isSegmentCallType(type)) {
      problems.push(
        problem(
          type === undefined || type === null || type === ''
            ? `${where}.type is missing; use one of: ${SEGMENT_CALL_TYPES.join(', ')}.`
            : `${where}.type ${JSON.stringify(type)} is not a Segment call type; use one of: ${SEGMENT_CALL_TYPES.join(', ')}.`,
        ),
      );
      return;
    }
    const r = mapMessage(type, message, where, shared);
    if (r.ok) batches.push(r.batch);
    else problems.push(...r.problems);
  });
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, batches };
}

/** Maps the body of a single call, `POST /v1/track` etc.: the endpoint names the call type. */
export function mapSegmentCall(type: SegmentCallType, body: unknown, options: SegmentMapOptions): SegmentMapResult {
  if (!isObject(body)) return fail(`The request body must be a JSON object (a Segment ${type} message).`);
  const r = mapMessage(type, body, '', { receivedAtMs: options.receivedAtMs, sentAtMs: undefined, context: undefined });
  return r.ok ? { ok: true, batches: [r.batch] } : r;
}

type MessageResult = { ok: true; batch: Batch } | { ok: false; problems: ErrorDetail[] };

/** Maps one Segment message of a known call type. `where` names it in messages ('' for a single call). */
function mapMessage(type: SegmentCallType, m: Json, where: string, shared: Shared): MessageResult {
  const problems: ErrorDetail[] = [];
  const field = (name: string) => (where ? `${where}.${name}` : name);
  const call = where ? `${where} (${type})` : `This ${type} call`;

  const bytes = Buffer.byteLength(JSON.stringify(m), 'utf8');
  if (bytes > SEGMENT_LIMITS.messageBytes) {
    return {
      ok: false,
      problems: [
        problem(`${where ? `Message ${where}` : 'The message'} is ${kb(bytes)} KB; Segment allows at most ${SEGMENT_LIMITS.messageBytes / 1024} KB per message.`),
      ],
    };
  }

  const userId = idOf(m.userId, field('userId'), problems);
  const anonymousId = idOf(m.anonymousId, field('anonymousId'), problems);
  const messageId = idOf(m.messageId, field('messageId'), problems);
  const context = objectOf(m.context, field('context'), problems);
  const properties = objectOf(m.properties, field('properties'), problems);
  const traits = objectOf(m.traits, field('traits'), problems);
  const timestamp = timestampOf(m, shared, field, problems);

  if (userId === undefined && anonymousId === undefined && !hasProblemFor(problems, field('userId'), field('anonymousId'))) {
    problems.push(problem(`${call} needs a userId or an anonymousId (field "${field('userId')}" or "${field('anonymousId')}"); Segment requires one of them.`));
  }

  const ctx: Json = { ...(shared.context ?? {}), ...(context ?? {}) };
  const contextTraits = isObject(ctx.traits) ? ctx.traits : {};

  const identities: UserIdentities = {};
  if (userId !== undefined) identities.customer_id = userId;
  if (anonymousId !== undefined) identities.other = anonymousId;
  let attributes: Json = {};
  const events: BatchEvent[] = [];
  const common = (): Json => ({
    ...(timestamp !== undefined ? { timestamp_unixtime_ms: timestamp } : {}),
    ...(messageId !== undefined ? { source_message_id: messageId } : {}),
  });

  const userTraits = (t: Json) => {
    const { email, ...rest } = t;
    if (typeof email === 'string' && email !== '') identities.email = email;
    else if (email !== undefined) rest.email = email;
    return flattenAttributes(rest);
  };

  switch (type) {
    case 'identify':
      attributes = userTraits({ ...contextTraits, ...(traits ?? {}) });
      break;
    case 'track': {
      const event = m.event;
      if (typeof event !== 'string' || event.trim() === '') {
        problems.push(problem(`${call} needs an event name: field "${field('event')}" must be a non-empty string.`));
      }
      attributes = userTraits(contextTraits);
      events.push({
        event_type: 'custom_event',
        data: { event_name: String(event), custom_event_type: 'other', custom_attributes: { ...(properties ?? {}) }, ...common() },
      });
      break;
    }
    case 'page':
    case 'screen': {
      const name = stringOf(m.name, field('name'), problems);
      const category = stringOf(m.category, field('category'), problems);
      const props: Json = { ...(properties ?? {}) };
      if (category !== undefined && props.category === undefined) props.category = category;
      attributes = userTraits(contextTraits);
      events.push({
        event_type: 'screen_view',
        data: { screen_name: screenNameOf(type, name, props), custom_attributes: props, ...common() },
      });
      break;
    }
    case 'group': {
      const groupId = idOf(m.groupId, field('groupId'), problems);
      if (groupId === undefined && !hasProblemFor(problems, field('groupId'))) {
        problems.push(problem(`${call} needs a groupId: field "${field('groupId')}" must be a non-empty string.`));
      }
      attributes = {
        ...userTraits(contextTraits),
        ...flattenAttributes(traits ?? {}, GROUP_ATTRIBUTE_PREFIX),
        [`${GROUP_ATTRIBUTE_PREFIX}id`]: groupId,
      };
      break;
    }
    case 'alias': {
      const previousId = idOf(m.previousId, field('previousId'), problems);
      if (previousId === undefined && !hasProblemFor(problems, field('previousId'))) {
        problems.push(problem(`${call} needs a previousId: field "${field('previousId')}" must be a non-empty string.`));
      }
      if (userId === undefined && !hasProblemFor(problems, field('userId'))) {
        problems.push(problem(`${call} needs a userId: field "${field('userId')}" names the user that previousId becomes.`));
      }
      if (previousId !== undefined) identities.other = previousId;
      attributes = userTraits(contextTraits);
      const at = timestamp ?? shared.receivedAtMs;
      const identity = (identity_type: string, value: string | undefined) => ({
        identity_type,
        identity: value,
        timestamp_unixtime_ms: at,
        created_this_batch: false,
      });
      events.push({
        event_type: 'user_identity_change',
        data: { new: identity('customer_id', userId), old: identity('other', previousId), ...common() },
      });
      break;
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  const batch: Batch = {
    events,
    environment: 'production',
    user_identities: identities,
    user_attributes: attributes,
    ...(messageId !== undefined ? { source_request_id: messageId } : {}),
    ...(timestamp !== undefined ? { timestamp_unixtime_ms: timestamp } : {}),
  };
  const ip = ctx.ip;
  if (typeof ip === 'string' && ip !== '') batch.ip = ip;
  const device = deviceInfoOf(ctx);
  if (device) batch.device_info = device;
  const app = applicationInfoOf(ctx);
  if (app) batch.application_info = app;
  const location = locationOf(ctx);
  if (location) batch.context = { location };
  return { ok: true, batch };
}

/**
 * The screen name of a page or screen view: its `name`, else the page's title or path (what
 * analytics.js puts in a page's properties), else mParticle Web SDK's default "PageView" (a
 * screen without a name: "Screen View").
 */
function screenNameOf(type: 'page' | 'screen', name: string | undefined, props: Json): string {
  if (name !== undefined && name !== '') return name;
  for (const key of ['name', 'title', 'path', 'url']) {
    const value = props[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return type === 'page' ? 'PageView' : 'Screen View';
}

/**
 * The event time: `timestamp` as sent; else `originalTimestamp` corrected for the client's
 * clock as Segment does (`receivedAt - (sentAt - originalTimestamp)`) when `sentAt` is known;
 * else `originalTimestamp`; else undefined (Quanta then uses the time it received the batch).
 */
function timestampOf(m: Json, shared: Shared, field: (n: string) => string, problems: ErrorDetail[]): number | undefined {
  const timestamp = timeOf(m.timestamp, field('timestamp'), problems);
  const original = timeOf(m.originalTimestamp, field('originalTimestamp'), problems);
  const sentAt = timeOf(m.sentAt, field('sentAt'), problems) ?? shared.sentAtMs;
  if (timestamp !== undefined) return timestamp;
  if (original === undefined) return undefined;
  if (sentAt === undefined) return original;
  return shared.receivedAtMs - (sentAt - original);
}

function timeOf(value: unknown, name: string, problems: ErrorDetail[]): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value;
  problems.push(problem(`Field "${name}" must be an ISO-8601 date string (e.g. "2024-05-01T12:00:00.000Z"), not ${shown}.`));
  return undefined;
}

/** A Segment id (userId, anonymousId, messageId, groupId, previousId): a string, or a number taken as its digits. */
function idOf(value: unknown, name: string, problems: ErrorDetail[]): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  problems.push(problem(`Field "${name}" must be a string, not ${Array.isArray(value) ? 'array' : typeof value}.`));
  return undefined;
}

function stringOf(value: unknown, name: string, problems: ErrorDetail[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  problems.push(problem(`Field "${name}" must be a string, not ${Array.isArray(value) ? 'array' : typeof value}.`));
  return undefined;
}

function objectOf(value: unknown, name: string, problems: ErrorDetail[]): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) return value;
  problems.push(problem(`Field "${name}" must be an object, not ${Array.isArray(value) ? 'array' : typeof value}.`));
  return undefined;
}

function hasProblemFor(problems: ErrorDetail[], ...names: string[]): boolean {
  return problems.some((p) => names.some((n) => p.message.includes(`"${n}"`)));
}

/**
 * Traits as mParticle user attributes, whose values are scalars or lists of strings: nested
 * objects become dotted names (`address.city`), list entries that are objects become JSON text.
 */
export function flattenAttributes(traits: Json, prefix = ''): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(traits)) {
    const name = `${prefix}${key}`;
    if (isObject(value)) Object.assign(out, flattenAttributes(value, `${name}.`));
    else if (Array.isArray(value)) out[name] = value.map((v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v));
    else out[name] = value;
  }
  return out;
}

/** mParticle's `platform` from Segment's `context.os.name` / `context.device.type`; web when a page or user agent says so. */
function platformOf(ctx: Json): string | undefined {
  const os = isObject(ctx.os) ? ctx.os : {};
  const device = isObject(ctx.device) ? ctx.device : {};
  const names = [os.name, device.type].filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase());
  for (const n of names) {
    if (n.includes('tvos')) return 'tvOS';
    if (/^(ios|iphone|ipad)|iphone os|ipados/.test(n)) return 'iOS';
    if (n.includes('android')) return 'Android';
  }
  if (isObject(ctx.page)) return 'web';
  return undefined;
}

/** `context` → mParticle `device_info` (JSON reference field names); undefined when nothing maps. */
export function deviceInfoOf(ctx: Json): Json | undefined {
  const out: Json = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') out[key] = value;
  };
  const platform = platformOf(ctx);
  set('platform', platform);
  if (typeof ctx.userAgent === 'string') set('http_header_user_agent', ctx.userAgent);
  const os = isObject(ctx.os) ? ctx.os : {};
  set('os_version', os.version);
  const device = isObject(ctx.device) ? ctx.device : {};
  set('device_manufacturer', device.manufacturer);
  set('device_model', device.model);
  set('device', device.name);
  set('push_token', device.token);
  if (typeof device.adTrackingEnabled === 'boolean') out.limit_ad_tracking = !device.adTrackingEnabled;
  if (platform === 'iOS' || platform === 'tvOS') {
    set('ios_advertising_id', device.advertisingId);
    set('ios_idfv', device.id);
  } else if (platform === 'Android') {
    set('android_advertising_id', device.advertisingId);
    set('android_uuid', device.id);
  }
  const screen = isObject(ctx.screen) ? ctx.screen : {};
  if (typeof screen.width === 'number') out.screen_width = screen.width;
  if (typeof screen.height === 'number') out.screen_height = screen.height;
  const network = isObject(ctx.network) ? ctx.network : {};
  set('network_carrier', network.carrier);
  if (typeof network.bluetooth === 'boolean') out.bluetooth_enabled = network.bluetooth;
  if (typeof ctx.locale === 'string') {
    const [language, country] = ctx.locale.split(/[-_]/);
    set('locale_language', language);
    set('locale_country', country);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `context.app` → mParticle `application_info`; undefined when absent. */
export function applicationInfoOf(ctx: Json): Json | undefined {
  const app = isObject(ctx.app) ? ctx.app : undefined;
  if (!app) return undefined;
  const out: Json = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== null && value !== '') out[key] = typeof value === 'number' ? String(value) : value;
  };
  set('application_name', app.name);
  set('application_version', app.version);
  set('application_build_number', app.build);
  set('package', app.namespace);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `context.location` → mParticle's batch `context.location` (latitude, longitude, city_name). */
export function locationOf(ctx: Json): Json | undefined {
  const loc = isObject(ctx.location) ? ctx.location : undefined;
  if (!loc) return undefined;
  const out: Json = {};
  if (typeof loc.latitude === 'number') out.latitude = loc.latitude;
  if (typeof loc.longitude === 'number') out.longitude = loc.longitude;
  if (typeof loc.city === 'string' && loc.city !== '') out.city_name = loc.city;
  return Object.keys(out).length > 0 ? out : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kb(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}

function fail(message: string): SegmentMapResult {
  return { ok: false, problems: [problem(message)] };
}
