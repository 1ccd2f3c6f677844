import { fromApiName } from '../identity/identity-types.ts';
import { CUSTOM_EVENT_TYPES, EVENT_TYPES, type EventType, PRODUCT_ACTIONS } from '../model/event-types.ts';
import { dateOf, dayOf, numberOf } from './conditions.ts';
import {
  AUDIENCE_OPERATORS,
  type AudienceNode,
  type AudienceOperator,
  type Condition,
  type ConditionValue,
  COUNT_OPERATORS,
  type CountOperator,
  DATE_OPERATORS,
  DEVICE_FIELDS,
  type DeviceField,
  type EventCriterion,
  type FirstSeenCriterion,
  IDENTITY_OPERATORS,
  type IdentityOperator,
  leavesOf,
  LIST_OPERATORS,
  MAX_CONDITIONS,
  NODE_KINDS,
  NUMBER_OPERATORS,
  TIME_UNITS,
  type TimeUnit,
  VALUELESS_OPERATORS,
} from './definition.ts';

/** What a definition may refer to: the workspace's other audiences. */
export interface DefinitionContext {
  /** The audience being defined (null when creating): an `audience` node may not lead back to it. */
  readonly self: number | null;
  /** The audiences an existing audience names in its definition; undefined when there is no such audience. */
  readonly namedBy: (id: number) => readonly number[] | undefined;
}

export type ParsedDefinition = { ok: true; definition: AudienceNode } | { ok: false; problems: string[] };

/** Events counted "at least / at most / exactly" beyond this are refused (state is kept per event). */
export const MAX_COUNT = 1000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

/**
 * Checks a definition tree (see `definition.ts`) and normalises it: every problem is named by its
 * path from `definition` (`definition.and[1].event.count.value: ...`), so a client fixes them all
 * at once. Event and attribute names are not checked against data (data may come later); node
 * kinds, operators and their values, event types, windows, dates, identity types, audience
 * references (which must exist and not lead back to this audience) and the number of conditions are.
 */
export function parseAudienceDefinition(raw: unknown, context: DefinitionContext): ParsedDefinition {
  const problems: string[] = [];
  const node = parseNode(raw, 'definition', problems);
  if (node && problems.length === 0) {
    const leaves = leavesOf(node).length;
    if (leaves > MAX_CONDITIONS) problems.push(`definition: ${leaves} conditions; an audience may have at most ${MAX_CONDITIONS}.`);
    checkReferences(node, context, problems);
  }
  return node && problems.length === 0 ? { ok: true, definition: node } : { ok: false, problems };
}

function parseNode(raw: unknown, path: string, problems: string[]): AudienceNode | undefined {
  if (!isObject(raw)) {
    problems.push(`${path}: must be an object with exactly one of ${list(NODE_KINDS)}.`);
    return undefined;
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1 || !(NODE_KINDS as readonly string[]).includes(keys[0]!)) {
    const unknown = keys.filter((k) => !(NODE_KINDS as readonly string[]).includes(k));
    problems.push(
      unknown.length > 0
        ? `${path}: unknown node kind ${list(unknown)}; expected exactly one of ${list(NODE_KINDS)}.`
        : `${path}: a node has exactly one of ${list(NODE_KINDS)}; found ${keys.length === 0 ? 'none' : list(keys)}.`,
    );
    return undefined;
  }
  const kind = keys[0]!;
  const body = raw[kind];
  const at = `${path}.${kind}`;
  switch (kind) {
    case 'and':
    case 'or': {
      if (!Array.isArray(body) || body.length === 0) {
        problems.push(`${at}: must be a non-empty array of nodes.`);
        return undefined;
      }
      const children = body.map((child, i) => parseNode(child, `${at}[${i}]`, problems));
      if (!children.every((c) => c !== undefined)) return undefined;
      return kind === 'and' ? { and: children } : { or: children };
    }
    case 'not': {
      const child = parseNode(body, at, problems);
      return child && { not: child };
    }
    case 'event': {
      const event = parseEvent(body, at, problems);
      return event && { event };
    }
    case 'user_attribute':
    case 'calculated_attribute': {
      const condition = parseCondition(body, at, problems, { named: true });
      if (!condition) return undefined;
      return kind === 'user_attribute' ? { user_attribute: condition } : { calculated_attribute: condition };
    }
    case 'identity':
      return parseIdentity(body, at, problems);
    case 'audience': {
      if (!isObject(body) || !Number.isInteger(body.id) || (body.member !== undefined && typeof body.member !== 'boolean')) {
        problems.push(`${at}: must be {"id": <audience id>, "member": true | false}.`);
        return undefined;
      }
      return { audience: { id: body.id as number, member: (body.member as boolean | undefined) ?? true } };
    }
    case 'consent':
      return parseConsent(body, at, problems);
    case 'first_seen': {
      const firstSeen = parseFirstSeen(body, at, problems);
      return firstSeen && { first_seen: firstSeen };
    }
    default:
      return parseDevice(body, at, problems);
  }
}

function parseEvent(raw: unknown, at: string, problems: string[]): EventCriterion | undefined {
  if (!isObject(raw)) {
    problems.push(`${at}: must be an object with "event_type".`);
    return undefined;
  }
  const before = problems.length;
  const known = ['event_type', 'event_name', 'custom_event_type', 'product_action', 'attributes', 'count', 'within', 'after', 'before'];
  for (const key of Object.keys(raw)) if (!known.includes(key)) problems.push(`${at}.${key}: unknown field; expected ${list(known)}.`);
  const type = raw.event_type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    problems.push(`${at}.event_type: must be one of ${list(EVENT_TYPES)}.`);
  }
  const optionalText = (key: string): string | null => {
    const v = raw[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' || v === '') problems.push(`${at}.${key}: must be a non-empty string.`);
    return typeof v === 'string' ? v : null;
  };
  const eventName = optionalText('event_name');
  const customType = optionalText('custom_event_type');
  if (customType !== null && type !== 'custom_event') problems.push(`${at}.custom_event_type: only a custom_event has a custom event type.`);
  else if (customType !== null && !(CUSTOM_EVENT_TYPES as readonly string[]).includes(customType)) {
    problems.push(`${at}.custom_event_type: must be one of ${list(CUSTOM_EVENT_TYPES)}.`);
  }
  const action = optionalText('product_action');
  if (action !== null && type !== 'commerce_event') problems.push(`${at}.product_action: only a commerce_event has a product action.`);
  else if (action !== null && !(PRODUCT_ACTIONS as readonly string[]).includes(action)) problems.push(`${at}.product_action: must be one of ${list(PRODUCT_ACTIONS)}.`);
  let attributes: Condition[] = [];
  if (raw.attributes !== undefined) {
    if (!Array.isArray(raw.attributes)) problems.push(`${at}.attributes: must be an array of conditions.`);
    else attributes = raw.attributes.flatMap((c, i) => parseCondition(c, `${at}.attributes[${i}]`, problems, { named: true }) ?? []);
  }
  const count = parseCount(raw.count, `${at}.count`, problems);
  const withinMs = raw.within === undefined ? null : parseWindow(raw.within, `${at}.within`, problems);
  const afterMs = raw.after === undefined ? null : parseDay(raw.after, `${at}.after`, problems);
  const beforeMs = raw.before === undefined ? null : parseDay(raw.before, `${at}.before`, problems);
  if (afterMs !== null && beforeMs !== null && afterMs >= beforeMs) problems.push(`${at}: "after" must be a day before "before": no event can be in that range.`);
  if (problems.length > before) return undefined;
  return {
    event_type: type as EventType,
    event_name: eventName,
    custom_event_type: customType,
    product_action: action,
    attributes,
    count,
    withinMs,
    afterMs,
    beforeMs,
  };
}

function parseCount(raw: unknown, at: string, problems: string[]): { operator: CountOperator; value: number } {
  if (raw === undefined) return { operator: 'at_least', value: 1 };
  if (!isObject(raw) || !(COUNT_OPERATORS as readonly string[]).includes(raw.operator as string)) {
    problems.push(`${at}: must be {"operator": ${list(COUNT_OPERATORS)}, "value": <count>}.`);
    return { operator: 'at_least', value: 1 };
  }
  const value = raw.value;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_COUNT) {
    problems.push(`${at}.value: must be a whole number from 0 to ${MAX_COUNT}.`);
    return { operator: 'at_least', value: 1 };
  }
  return { operator: raw.operator as CountOperator, value: value as number };
}

/** `{"value": n, "unit": ...}` in ms. */
function parseWindow(raw: unknown, at: string, problems: string[]): number | null {
  const units = Object.keys(TIME_UNITS);
  if (!isObject(raw) || !units.includes(raw.unit as string) || !Number.isInteger(raw.value) || (raw.value as number) <= 0) {
    problems.push(`${at}: must be {"value": <whole number above 0>, "unit": ${list(units)}}.`);
    return null;
  }
  const ms = (raw.value as number) * TIME_UNITS[raw.unit as TimeUnit];
  if (ms > 3650 * TIME_UNITS.days) {
    problems.push(`${at}: at most 3650 days.`);
    return null;
  }
  return ms;
}

/** A date (`YYYY-MM-DD`, or ISO 8601 with a time): the start of its day, or the instant. */
function parseDay(raw: unknown, at: string, problems: string[]): number | null {
  const day = dayOf(raw);
  if (typeof raw !== 'string' || !day) {
    problems.push(`${at}: must be a date, "YYYY-MM-DD" (UTC) or ISO 8601.`);
    return null;
  }
  return day.start;
}

function parseCondition(raw: unknown, at: string, problems: string[], o: { named: boolean }): Condition | undefined {
  if (!isObject(raw)) {
    problems.push(`${at}: must be {${o.named ? '"name", ' : ''}"operator", "value"}.`);
    return undefined;
  }
  const before = problems.length;
  const name = raw.name;
  if (o.named && (typeof name !== 'string' || name === '')) problems.push(`${at}.name: required, a non-empty string.`);
  const operator = raw.operator as AudienceOperator;
  if (!(AUDIENCE_OPERATORS as readonly string[]).includes(operator)) {
    problems.push(`${at}.operator: must be one of ${list(AUDIENCE_OPERATORS)}.`);
    return undefined;
  }
  const value = parseValue(operator, raw.value, `${at}.value`, problems);
  if (problems.length > before) return undefined;
  return { name: typeof name === 'string' ? name : null, operator, value };
}

/** The value an operator needs, or a problem naming what it takes. */
function parseValue(operator: AudienceOperator, raw: unknown, at: string, problems: string[]): ConditionValue | null {
  if (VALUELESS_OPERATORS.includes(operator)) {
    if (raw !== undefined && raw !== null) problems.push(`${at}: "${operator}" takes no value.`);
    return null;
  }
  if (raw === undefined || raw === null) {
    problems.push(`${at}: "${operator}" needs a value.`);
    return null;
  }
  if (operator === 'between') {
    const pair = Array.isArray(raw) && raw.length === 2 ? (raw as unknown[]) : undefined;
    const numbers = pair?.map(numberOf);
    const dates = pair?.map((v) => (typeof v === 'string' ? dateOf(v) : undefined));
    const ordered = (xs: (number | undefined)[] | undefined) => xs !== undefined && xs.every((x) => x !== undefined) && xs[0]! <= xs[1]!;
    if (!ordered(numbers) && !ordered(dates)) {
      problems.push(`${at}: "between" needs [low, high]: two numbers or two dates, the low one first.`);
      return null;
    }
    return pair as [string | number, string | number];
  }
  if (NUMBER_OPERATORS.includes(operator) && numberOf(raw) === undefined) {
    problems.push(`${at}: "${operator}" compares numbers; ${JSON.stringify(raw)} is not one.`);
    return null;
  }
  if (DATE_OPERATORS.includes(operator) && (typeof raw !== 'string' || dateOf(raw) === undefined)) {
    problems.push(`${at}: "${operator}" needs a date, "YYYY-MM-DD" (UTC) or ISO 8601.`);
    return null;
  }
  if ((operator === 'pattern' || operator === 'contains' || operator === 'not_contains' || LIST_OPERATORS.includes(operator)) && typeof raw !== 'string' && typeof raw !== 'number') {
    problems.push(`${at}: "${operator}" needs a string.`);
    return null;
  }
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    problems.push(`${at}: must be a string, a number or a boolean.`);
    return null;
  }
  return raw;
}

function parseIdentity(raw: unknown, at: string, problems: string[]): AudienceNode | undefined {
  if (!isObject(raw) || typeof raw.type !== 'string' || fromApiName(raw.type) === undefined) {
    problems.push(`${at}.type: must be an identity type (customer_id, email, ios_idfa, ...).`);
    return undefined;
  }
  const operator = raw.operator as IdentityOperator;
  if (!(IDENTITY_OPERATORS as readonly string[]).includes(operator)) {
    problems.push(`${at}.operator: must be one of ${list(IDENTITY_OPERATORS)}.`);
    return undefined;
  }
  const valueless = operator === 'exists' || operator === 'not_exists';
  if (valueless !== (raw.value === undefined || raw.value === null) || (!valueless && typeof raw.value !== 'string')) {
    problems.push(valueless ? `${at}.value: "${operator}" takes no value.` : `${at}.value: "${operator}" needs a string.`);
    return undefined;
  }
  return { identity: { type: raw.type, operator, value: valueless ? null : (raw.value as string) } };
}

function parseConsent(raw: unknown, at: string, problems: string[]): AudienceNode | undefined {
  if (isObject(raw) && raw.regulation === 'gdpr' && typeof raw.purpose === 'string' && raw.purpose !== '' && typeof raw.consented === 'boolean') {
    return { consent: { regulation: 'gdpr', purpose: raw.purpose, consented: raw.consented } };
  }
  if (isObject(raw) && raw.regulation === 'ccpa' && typeof raw.consented === 'boolean') return { consent: { regulation: 'ccpa', consented: raw.consented } };
  problems.push(`${at}: must be {"regulation": "gdpr", "purpose": <purpose>, "consented": <boolean>} or {"regulation": "ccpa", "consented": <boolean>}.`);
  return undefined;
}

function parseFirstSeen(raw: unknown, at: string, problems: string[]): FirstSeenCriterion | undefined {
  if (!isObject(raw) || Object.keys(raw).length === 0 || Object.keys(raw).some((k) => !['within', 'after', 'before'].includes(k))) {
    problems.push(`${at}: must hold "within", "after" and/or "before".`);
    return undefined;
  }
  const before = problems.length;
  const withinMs = raw.within === undefined ? null : parseWindow(raw.within, `${at}.within`, problems);
  const afterMs = raw.after === undefined ? null : parseDay(raw.after, `${at}.after`, problems);
  const beforeMs = raw.before === undefined ? null : parseDay(raw.before, `${at}.before`, problems);
  if (afterMs !== null && beforeMs !== null && afterMs >= beforeMs) problems.push(`${at}: "after" must be a day before "before".`);
  return problems.length > before ? undefined : { withinMs, afterMs, beforeMs };
}

function parseDevice(raw: unknown, at: string, problems: string[]): AudienceNode | undefined {
  if (!isObject(raw) || !(DEVICE_FIELDS as readonly string[]).includes(raw.field as string)) {
    problems.push(`${at}.field: must be one of ${list(DEVICE_FIELDS)}.`);
    return undefined;
  }
  const { field, ...rest } = raw;
  const condition = parseCondition(rest, at, problems, { named: false });
  return condition && { device: { field: field as DeviceField, operator: condition.operator, value: condition.value } };
}

/** Each `audience` node names an existing audience, and no chain of them leads back to this one. */
function checkReferences(node: AudienceNode, context: DefinitionContext, problems: string[]): void {
  const leaves = leavesOf(node);
  for (const leaf of leaves) {
    if (!('audience' in leaf)) continue;
    const id = leaf.audience.id;
    if (id === context.self) {
      problems.push(`definition: audience ${id} cannot name itself.`);
      continue;
    }
    if (context.namedBy(id) === undefined) {
      problems.push(`definition: audience ${id} does not exist in this workspace.`);
      continue;
    }
    if (context.self !== null && leadsTo(id, context.self, context)) problems.push(`definition: audience ${id} names audience ${context.self}, directly or through others: a cycle.`);
  }
}

function leadsTo(from: number, target: number, context: DefinitionContext): boolean {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === target) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(context.namedBy(id) ?? []));
  }
  return false;
}
