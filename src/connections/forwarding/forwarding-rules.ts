/**
 * A connection's forwarding rules (mParticle's Connections guide): where the data filter looks at
 * names, these look at values. Two decide per user, for the whole batch:
 * - `consent`: `{"regulation": "gdpr", "purpose": "marketing", "action": "only_forward"}` forwards
 *   only users whose consent state has `consented: true` for the purpose; `do_not_forward` drops
 *   them. `{"regulation": "ccpa", "action": "do_not_forward"}` drops users who opted out of data
 *   sale (`data_sale_opt_out` consented). Consent is read from the batch's `consent_state` as the
 *   audiences read it (the purpose exactly, else ignoring case); no state recorded is not consented.
 *   In the delivery stream that is the person's consent state (the profile's as of the batch: the
 *   connections stage puts it there), so the rule decides per person, as mParticle's do;
 * - `logged_in`: forwards only users with a login identity, one of the login ids of the
 *   workspace's identity strategy (the guide: "at least one Login ID, as defined by your Identity
 *   Strategy"), held in the batch. A strategy without login ids (best match) has no logged-in user.
 *
 * Two decide per event, as the guide says ("not forward events that match the rule, or only
 * forward events that match the rule, excluding all others"):
 * - `attribute`: the event's `custom_attributes[attribute_name]` equals `value`, exactly (case
 *   included; a number or boolean attribute as its JSON text, so `5` matches `"5"`). An event
 *   without the attribute does not match;
 * - `attribution`: the event is attributed to `publisher`: an attribution event (a custom event of
 *   custom event type `attribution`: install, re-engagement and engagement attribution, JSON
 *   reference) whose `publisher` attribute is the publisher, exactly. `only_forward` keeps only
 *   those events.
 *
 * Every rule must let a batch (or an event) through. A batch whose every event a rule removed is
 * not forwarded; a batch that came without events (a user attribute or identity update) is
 * decided by the per-user rules alone.
 */
import { CONSENT_REGULATIONS } from '../../audiences/definition.ts';
import { valueNamed } from '../../audiences/event-tracks.ts';
import { type IdentityType, identitiesOfBatch } from '../../identity/identity-types.ts';
import type { Batch, BatchEvent } from '../../model/batch.ts';
import { USER_IDENTITY_TYPES } from '../../model/identity-types.ts';
import type { Parsed, Problem } from '../stream-batch.ts';
import { checkFields, isObject, nonEmpty, quoted } from './json-fields.ts';

export const RULE_TYPES = ['attribute', 'consent', 'logged_in', 'attribution'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const RULE_ACTIONS = ['only_forward', 'do_not_forward'] as const;
export type RuleAction = (typeof RULE_ACTIONS)[number];

export type ForwardingRule =
  | { readonly type: 'attribute'; readonly attribute_name: string; readonly value: string | number | boolean; readonly action: RuleAction }
  | { readonly type: 'consent'; readonly regulation: 'gdpr'; readonly purpose: string; readonly action: RuleAction }
  | { readonly type: 'consent'; readonly regulation: 'ccpa'; readonly action: RuleAction }
  | { readonly type: 'logged_in' }
  | { readonly type: 'attribution'; readonly publisher: string; readonly action: RuleAction };

/** What the rules need to know of the workspace. */
export interface RuleContext {
  /** The login ids of the workspace's identity strategy (`StrategyRules.loginIds`). */
  readonly loginIds: ReadonlySet<IdentityType>;
}

function parseAction(raw: unknown, path: string, problems: Problem[]): RuleAction | undefined {
  if ((RULE_ACTIONS as readonly unknown[]).includes(raw)) return raw as RuleAction;
  problems.push(`${path}: must be one of ${quoted(RULE_ACTIONS)}`);
  return undefined;
}

function required(raw: unknown, path: string, what: string, problems: Problem[]): string | undefined {
  const value = nonEmpty(raw);
  if (value === undefined) problems.push(`${path}: required, ${what}`);
  return value;
}

function parseRule(raw: unknown, path: string, problems: Problem[]): ForwardingRule | undefined {
  if (!isObject(raw) || !(RULE_TYPES as readonly unknown[]).includes(raw.type)) {
    problems.push(`${path}${isObject(raw) ? '.type' : ''}: a forwarding rule has a type, one of ${quoted(RULE_TYPES)}`);
    return undefined;
  }
  const type = raw.type as RuleType;
  const before = problems.length;
  switch (type) {
    case 'attribute': {
      checkFields(raw, ['type', 'attribute_name', 'value', 'action'], path, 'an attribute rule', problems);
      const name = required(raw.attribute_name, `${path}.attribute_name`, "the event attribute's name", problems);
      const value = raw.value;
      if (typeof value !== 'string' && typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
        problems.push(`${path}.value: required, the value the attribute must equal (a string, number or boolean)`);
      }
      const action = parseAction(raw.action, `${path}.action`, problems);
      return problems.length > before ? undefined : { type, attribute_name: name!, value: value as string | number | boolean, action: action! };
    }
    case 'consent': {
      const action = parseAction(raw.action, `${path}.action`, problems);
      if (raw.regulation === 'ccpa') {
        checkFields(raw, ['type', 'regulation', 'action'], path, 'a ccpa consent rule (its purpose is always data_sale_opt_out)', problems);
        return problems.length > before ? undefined : { type, regulation: 'ccpa', action: action! };
      }
      if (raw.regulation !== 'gdpr') {
        problems.push(`${path}.regulation: must be one of ${quoted(CONSENT_REGULATIONS)}`);
        return undefined;
      }
      checkFields(raw, ['type', 'regulation', 'purpose', 'action'], path, 'a gdpr consent rule', problems);
      const purpose = required(raw.purpose, `${path}.purpose`, 'the GDPR consent purpose', problems);
      return problems.length > before ? undefined : { type, regulation: 'gdpr', purpose: purpose!, action: action! };
    }
    case 'logged_in':
      checkFields(raw, ['type'], path, 'a logged_in rule', problems);
      return problems.length > before ? undefined : { type };
    case 'attribution': {
      checkFields(raw, ['type', 'publisher', 'action'], path, 'an attribution rule', problems);
      const publisher = required(raw.publisher, `${path}.publisher`, "the publisher's name", problems);
      const action = parseAction(raw.action, `${path}.action`, problems);
      return problems.length > before ? undefined : { type, publisher: publisher!, action: action! };
    }
    default: {
      const unreachable: never = type;
      throw new Error(`unknown forwarding rule type ${String(unreachable)}`);
    }
  }
}

/**
 * Checks a connection's `forwarding_rules`, every problem named by its path
 * (`forwarding_rules[1].purpose: required, the GDPR consent purpose`). None (undefined, null)
 * is no rule.
 *
 * @example
 *   parseForwardingRules([{ type: 'consent', regulation: 'ccpa', action: 'do_not_forward' }]) // { ok: true, value: [...] }
 */
export function parseForwardingRules(raw: unknown, path = 'forwarding_rules'): Parsed<ForwardingRule[]> {
  if (raw === undefined || raw === null) return { ok: true, value: [] };
  if (!Array.isArray(raw)) return { ok: false, problems: [`${path}: must be an array of forwarding rules`] };
  const problems: Problem[] = [];
  const rules = raw.map((r: unknown, i) => parseRule(r, `${path}[${i}]`, problems));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: rules.filter((r) => r !== undefined) };
}

/** A value as rules compare it: strings as they are, numbers and booleans as their JSON text; anything else matches nothing. */
const textOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

const consentedOf = (state: unknown): boolean => isObject(state) && state.consented === true;
const regulationOf = (batch: Batch, regulation: 'gdpr' | 'ccpa') => {
  const state = batch.consent_state?.[regulation];
  return isObject(state) ? state : undefined;
};

function attributeOf(event: BatchEvent, name: string): unknown {
  const attributes = event.data.custom_attributes;
  return attributes && Object.hasOwn(attributes, name) ? attributes[name] : undefined;
}

const isAttribution = (e: BatchEvent) => e.event_type === 'custom_event' && e.data.custom_event_type === 'attribution';

type UserTest = (batch: Batch) => boolean;
type EventTest = (event: BatchEvent) => boolean;

function loggedIn(loginIds: ReadonlySet<IdentityType>): UserTest {
  const ids = [...loginIds];
  const onDevice = ids.some((t) => !(USER_IDENTITY_TYPES as readonly string[]).includes(t));
  return (batch) => {
    const held: Readonly<Record<string, unknown>> = onDevice ? identitiesOfBatch(batch) : batch.user_identities;
    return ids.some((t) => nonEmpty(held[t]) !== undefined);
  };
}

/** A rule as the test it makes: of the user (the batch), or of each event. */
function testOf(rule: ForwardingRule, context: RuleContext): { user: UserTest } | { event: EventTest } {
  const keepIf = <T>(matches: (x: T) => boolean, action: RuleAction) => (action === 'only_forward' ? matches : (x: T) => !matches(x));
  switch (rule.type) {
    case 'attribute': {
      const wanted = textOf(rule.value);
      return { event: keepIf((e: BatchEvent) => textOf(attributeOf(e, rule.attribute_name)) === wanted, rule.action) };
    }
    case 'attribution':
      return { event: keepIf((e: BatchEvent) => isAttribution(e) && textOf(attributeOf(e, 'publisher')) === rule.publisher, rule.action) };
    case 'consent': {
      const consented: UserTest =
        rule.regulation === 'gdpr'
          ? (b) => consentedOf(valueNamed(regulationOf(b, 'gdpr'), rule.purpose))
          : (b) => consentedOf(regulationOf(b, 'ccpa')?.data_sale_opt_out);
      return { user: keepIf(consented, rule.action) };
    }
    case 'logged_in':
      return { user: loggedIn(context.loginIds) };
    default: {
      const unreachable: never = rule;
      throw new Error(`unknown forwarding rule ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * Compiles a connection's rules once into the function it runs on every batch: the batch to
 * forward (the input itself when no event was removed, else a new batch without them: the input
 * is never changed), or null when the batch is not forwarded. Per-user rules run first.
 *
 * @example
 *   const rules = compileForwardingRules([{ type: 'logged_in' }], { loginIds: new Set(['customer_id']) });
 *   rules(anonymousBatch) // null
 */
export function compileForwardingRules(rules: readonly ForwardingRule[], context: RuleContext): (batch: Batch) => Batch | null {
  const users: UserTest[] = [];
  const events: EventTest[] = [];
  for (const rule of rules) {
    const test = testOf(rule, context);
    if ('user' in test) users.push(test.user);
    else events.push(test.event);
  }
  const keeps = (e: BatchEvent) => events.every((test) => test(e));
  return function forwardingRules(batch) {
    for (const test of users) if (!test(batch)) return null;
    if (events.length === 0 || batch.events.length === 0 || batch.events.every(keeps)) return batch;
    const kept = batch.events.filter(keeps);
    return kept.length === 0 ? null : { ...batch, events: kept };
  };
}
