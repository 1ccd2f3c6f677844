import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { type ErrorDetail, problem } from '../kernel/errors.ts';
import { parseMpid } from '../kernel/ids.ts';
import type { Batch, BatchEvent, EventData, UserIdentities } from './batch.ts';
import { batchSchema, eventDataSchemas } from './batch.schema.ts';
import { EVENT_TYPES, type EventType, isEventType } from './event-types.ts';
import { normalizeIdentityType } from './identity-types.ts';

/** Documented limits for S2S data: longer names are truncated, not rejected. */
export const LIMITS = {
  eventNameLength: 256,
  attributeNameLength: 256,
} as const;

export type ParseResult = { ok: true; batch: Batch } | { ok: false; problems: ErrorDetail[] };

/**
 * Each schema is compiled twice: a fast validator that stops at the first error, run on every
 * batch, and one that collects every error, run only to explain a batch the first refused.
 */
const fast = new Ajv({ allErrors: false, strict: false });
const thorough = new Ajv({ allErrors: true, strict: false });

interface Check {
  ok: ValidateFunction;
  explain: ValidateFunction;
}
const compile = (schema: Record<string, unknown>): Check => ({ ok: fast.compile(schema), explain: thorough.compile(schema) });
const validateEnvelope = compile(batchSchema);
const validateData = Object.fromEntries(EVENT_TYPES.map((t) => [t, compile(eventDataSchemas[t])])) as Record<EventType, Check>;

function check(c: Check, value: unknown, where: string, problems: ErrorDetail[]): void {
  if (c.ok(value)) return;
  c.explain(value);
  problems.push(...describe(c.explain.errors, where));
}

/**
 * Validates one batch as sent and returns it normalised, or every problem found, each naming
 * its field (`batch[3].events[0].data.event_name`). The batch is normalised in place: the
 * caller hands over the freshly parsed value and must not reuse it.
 */
export function parseBatch(value: unknown, where = ''): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`${where || 'The request body'} must be a JSON object (an event batch).`);
  }
  const problems: ErrorDetail[] = [];
  check(validateEnvelope, value, where, problems);
  const raw = value as Record<string, unknown>;
  const events = Array.isArray(raw.events) ? raw.events : [];
  events.forEach((event: unknown, i) => {
    if (typeof event !== 'object' || event === null) return;
    const { event_type: type, data } = event as Record<string, unknown>;
    const at = `${where}${where ? '.' : ''}events[${i}]`;
    if (typeof type === 'string' && type !== '' && !isEventType(type)) {
      problems.push(problem(`${at}.event_type "${type}" is not an event type; use one of: ${EVENT_TYPES.join(', ')}.`));
    } else if (isEventType(type)) {
      check(validateData[type], data ?? {}, `${at}.data`, problems);
    }
  });
  let mpid;
  if (raw.mpid !== undefined && raw.mpid !== null && raw.mpid !== '') {
    mpid = parseMpid(raw.mpid);
    if (mpid === undefined) {
      problems.push(problem(`${prefix(where)}mpid must be a signed 64-bit integer, not zero.`));
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, batch: normalize(raw, mpid) };
}

function normalize(raw: Record<string, unknown>, mpid: Batch['mpid']): Batch {
  const batch = raw as Batch;
  batch.events = (raw.events as BatchEvent[] | null) ?? [];
  for (const event of batch.events) normalizeEvent(event);
  batch.environment = (raw.environment as Batch['environment'] | null) ?? 'production';
  batch.user_identities = normalizeIdentities(raw.user_identities as Record<string, string | null> | null);
  batch.user_attributes = (raw.user_attributes as Record<string, unknown> | null) ?? {};
  if (mpid === undefined) delete batch.mpid;
  else batch.mpid = mpid;
  return batch;
}

function normalizeEvent(event: BatchEvent): void {
  // `violations` is Quanta's own tag, set by the data-plan stage: a sender cannot set it.
  if ('violations' in event) delete event.violations;
  const data: EventData = (event.data ??= {});
  if (typeof data.event_name === 'string' && data.event_name.length > LIMITS.eventNameLength) {
    data.event_name = data.event_name.slice(0, LIMITS.eventNameLength);
  }
  if (event.event_type === 'custom_event' && !data.custom_event_type) data.custom_event_type = 'other';
  const attrs = data.custom_attributes;
  if (attrs && Object.keys(attrs).some((k) => k.length > LIMITS.attributeNameLength)) {
    data.custom_attributes = Object.fromEntries(
      Object.entries(attrs).map(([k, v]) => [k.slice(0, LIMITS.attributeNameLength), v]),
    );
  }
}

function normalizeIdentities(raw: Record<string, string | null> | null): UserIdentities {
  const out: UserIdentities = {};
  if (!raw) return out;
  for (const key in raw) {
    const value = raw[key];
    const type = normalizeIdentityType(key);
    if (type && value !== null && value !== undefined && value !== '') out[type] = value;
  }
  return out;
}

function prefix(where: string): string {
  return where ? `${where}.` : '';
}

function fail(message: string): ParseResult {
  return { ok: false, problems: [problem(message)] };
}

function describe(errors: ErrorObject[] | null | undefined, where: string): ErrorDetail[] {
  return (errors ?? []).map((e) => problem(explain(e, where)));
}

function explain(e: ErrorObject, where: string): string {
  const path = pathOf(e.instancePath, where);
  const field = (name: string) => (path ? `${path}.${name}` : name);
  switch (e.keyword) {
    case 'required':
      return `Required field "${field(String(e.params.missingProperty))}" is missing or empty.`;
    case 'additionalProperties':
      return path.endsWith('user_identities')
        ? `"${field(String(e.params.additionalProperty))}" is not a user identity type; see the JSON reference for the list.`
        : `Unknown field "${field(String(e.params.additionalProperty))}".`;
    case 'type':
      return `Field "${path}" must be ${String(e.params.type).replace(',null', '').replace(',', ' or ')}.`;
    case 'enum':
      return `Field "${path}" must be one of: ${(e.params.allowedValues as unknown[]).filter((v) => v !== null).join(', ')}.`;
    case 'minLength':
      return `Required field "${path}" is missing or empty.`;
    default:
      return `Field "${path || 'body'}" ${e.message ?? 'is invalid'}.`;
  }
}

function pathOf(instancePath: string, where: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('');
  const joined = `${where}${parts}`;
  return joined.startsWith('.') ? joined.slice(1) : joined;
}
