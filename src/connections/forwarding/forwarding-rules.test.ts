import { describe, expect, it } from 'vitest';
import type { IdentityType } from '../../identity/identity-types.ts';
import type { Batch, BatchEvent } from '../../model/batch.ts';
import { compileForwardingRules, type ForwardingRule, parseForwardingRules } from './forwarding-rules.ts';

const CUSTOMER_ID: ReadonlySet<IdentityType> = new Set(['customer_id']);

const custom = (name: string, attributes: Record<string, unknown> = {}, type = 'other'): BatchEvent =>
  ({ event_type: 'custom_event', data: { event_name: name, custom_event_type: type, custom_attributes: attributes } }) as BatchEvent;
const attribution = (publisher: string, name = 'attribution') => custom(name, { publisher, campaign: 'spring' }, 'attribution');
const session = (): BatchEvent => ({ event_type: 'session_start', data: {} }) as BatchEvent;

const batchOf = (events: BatchEvent[], extra: Partial<Batch> = {}): Batch => ({
  events,
  environment: 'production',
  user_attributes: {},
  user_identities: {},
  ...extra,
});

const rulesOf = (raw: unknown, loginIds = CUSTOMER_ID) => {
  const parsed = parseForwardingRules(raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return compileForwardingRules(parsed.value, { loginIds });
};
const gdpr = (purposes: Record<string, boolean>) => ({
  consent_state: { gdpr: Object.fromEntries(Object.entries(purposes).map(([p, consented]) => [p, { consented, document: 'v1' }])) },
});

describe('parseForwardingRules', () => {
  it('takes each rule shape', () => {
    const rules: ForwardingRule[] = [
      { type: 'attribute', attribute_name: 'plan', value: 'pro', action: 'only_forward' },
      { type: 'consent', regulation: 'gdpr', purpose: 'marketing', action: 'only_forward' },
      { type: 'consent', regulation: 'ccpa', action: 'do_not_forward' },
      { type: 'logged_in' },
      { type: 'attribution', publisher: 'acme', action: 'do_not_forward' },
    ];
    expect(parseForwardingRules(rules)).toEqual({ ok: true, value: rules });
    expect(parseForwardingRules(undefined)).toEqual({ ok: true, value: [] });
  });

  it('names every problem by its path', () => {
    const parsed = parseForwardingRules(
      [
        { type: 'attribute', value: { a: 1 }, action: 'forward' },
        { type: 'consent', regulation: 'gdpr', action: 'only_forward' },
        { type: 'consent', regulation: 'ccpa', purpose: 'data_sale_opt_out', action: 'do_not_forward' },
        { type: 'consent', regulation: 'lgpd', action: 'do_not_forward' },
        { type: 'geo' },
        { type: 'attribution', action: 'only_forward' },
        { type: 'logged_in', action: 'only_forward' },
      ],
      'rules',
    );
    expect(parsed).toEqual({
      ok: false,
      problems: [
        "rules[0].attribute_name: required, the event attribute's name",
        'rules[0].value: required, the value the attribute must equal (a string, number or boolean)',
        'rules[0].action: must be one of "only_forward", "do_not_forward"',
        'rules[1].purpose: required, the GDPR consent purpose',
        'rules[2].purpose: unknown field; a ccpa consent rule (its purpose is always data_sale_opt_out) has type, regulation, action',
        'rules[3].regulation: must be one of "gdpr", "ccpa"',
        'rules[4].type: a forwarding rule has a type, one of "attribute", "consent", "logged_in", "attribution"',
        "rules[5].publisher: required, the publisher's name",
        'rules[6].action: unknown field; a logged_in rule has type',
      ],
    });
    expect(parseForwardingRules({})).toEqual({ ok: false, problems: ['forwarding_rules: must be an array of forwarding rules'] });
  });
});

describe('compileForwardingRules', () => {
  const plans = [custom('Buy', { plan: 'pro' }), custom('Buy', { plan: 'Pro' }), custom('Buy', { plan: 'basic' }), session()];

  it('with no rules forwards the batch itself', () => {
    const batch = batchOf(plans);
    expect(rulesOf([])(batch)).toBe(batch);
  });

  it('attribute, only_forward: keeps the events whose attribute equals the value exactly; one without it does not match', () => {
    const out = rulesOf([{ type: 'attribute', attribute_name: 'plan', value: 'pro', action: 'only_forward' }])(batchOf(plans));
    expect(out?.events).toEqual([plans[0]]);
  });

  it('attribute, do_not_forward: removes the matching events and keeps those without the attribute', () => {
    const batch = batchOf(plans);
    const before = structuredClone(batch);
    const out = rulesOf([{ type: 'attribute', attribute_name: 'plan', value: 'pro', action: 'do_not_forward' }])(batch);
    expect(out?.events).toEqual([plans[1], plans[2], plans[3]]);
    expect(batch).toEqual(before);
  });

  it('attribute values compare as text: 5 matches "5", true matches "true"', () => {
    const events = [custom('Level', { n: 5, done: true }), custom('Level', { n: '6' })];
    expect(rulesOf([{ type: 'attribute', attribute_name: 'n', value: '5', action: 'only_forward' }])(batchOf(events))?.events).toEqual([events[0]]);
    expect(rulesOf([{ type: 'attribute', attribute_name: 'done', value: true, action: 'only_forward' }])(batchOf(events))?.events).toEqual([events[0]]);
  });

  it('does not forward a batch whose every event a rule removed, and decides a batch without events by its user', () => {
    const onlyPro = rulesOf([{ type: 'attribute', attribute_name: 'plan', value: 'pro', action: 'only_forward' }]);
    expect(onlyPro(batchOf([custom('Buy', { plan: 'basic' })]))).toBeNull();
    const update = batchOf([], { user_attributes: { tier: 'gold' } });
    expect(onlyPro(update)).toBe(update);
  });

  it('gdpr, only_forward: users who consented to the purpose; no consent state is not consented', () => {
    const rules = rulesOf([{ type: 'consent', regulation: 'gdpr', purpose: 'marketing', action: 'only_forward' }]);
    expect(rules(batchOf([session()], gdpr({ marketing: true })))).not.toBeNull();
    expect(rules(batchOf([session()], gdpr({ Marketing: true })))).not.toBeNull(); // the purpose ignoring case, as audiences read it
    expect(rules(batchOf([session()], gdpr({ marketing: false })))).toBeNull();
    expect(rules(batchOf([session()], gdpr({ analytics: true })))).toBeNull();
    expect(rules(batchOf([session()]))).toBeNull();
  });

  it('gdpr, do_not_forward: drops users who consented', () => {
    const rules = rulesOf([{ type: 'consent', regulation: 'gdpr', purpose: 'marketing', action: 'do_not_forward' }]);
    expect(rules(batchOf([session()], gdpr({ marketing: true })))).toBeNull();
    expect(rules(batchOf([session()]))).not.toBeNull();
  });

  it('ccpa, do_not_forward: drops users who opted out of data sale; missing or false state flows', () => {
    const rules = rulesOf([{ type: 'consent', regulation: 'ccpa', action: 'do_not_forward' }]);
    const ccpa = (consented: boolean) => ({ consent_state: { ccpa: { data_sale_opt_out: { consented } } } });
    expect(rules(batchOf([session()], ccpa(true)))).toBeNull();
    expect(rules(batchOf([session()], ccpa(false)))).not.toBeNull();
    expect(rules(batchOf([session()]))).not.toBeNull();
  });

  it("logged_in: forwards users holding one of the strategy's login ids", () => {
    const rules = rulesOf([{ type: 'logged_in' }]);
    expect(rules(batchOf([session()], { user_identities: { customer_id: 'c1' } }))).not.toBeNull();
    expect(rules(batchOf([session()], { user_identities: { email: 'a@b.c' } }))).toBeNull();
    expect(rules(batchOf([session()], { user_identities: { customer_id: null } }))).toBeNull();
    const byEmailToo = rulesOf([{ type: 'logged_in' }], new Set(['customer_id', 'email']));
    expect(byEmailToo(batchOf([session()], { user_identities: { email: 'a@b.c' } }))).not.toBeNull();
    const noLoginIds = rulesOf([{ type: 'logged_in' }], new Set());
    expect(noLoginIds(batchOf([session()], { user_identities: { customer_id: 'c1' } }))).toBeNull();
  });

  it('logged_in reads device login ids from device_info', () => {
    const rules = rulesOf([{ type: 'logged_in' }], new Set(['ios_idfv']));
    expect(rules(batchOf([session()], { device_info: { ios_idfv: 'v1' } }))).not.toBeNull();
    expect(rules(batchOf([session()]))).toBeNull();
  });

  it('attribution: events attributed to the publisher are the attribution events with its publisher attribute', () => {
    const events = [attribution('acme'), attribution('other'), attribution('acme', 're-engagement'), custom('Play', { publisher: 'acme' }), session()];
    const only = rulesOf([{ type: 'attribution', publisher: 'acme', action: 'only_forward' }]);
    expect(only(batchOf(events))?.events).toEqual([events[0], events[2]]);
    const not = rulesOf([{ type: 'attribution', publisher: 'acme', action: 'do_not_forward' }]);
    expect(not(batchOf(events))?.events).toEqual([events[1], events[3], events[4]]);
    expect(only(batchOf([attribution('Acme')]))).toBeNull(); // exact, case included
  });

  it('every rule must let the batch and each event through', () => {
    const rules = rulesOf([
      { type: 'logged_in' },
      { type: 'attribute', attribute_name: 'plan', value: 'basic', action: 'do_not_forward' },
      { type: 'attribute', attribute_name: 'plan', value: 'Pro', action: 'do_not_forward' },
    ]);
    expect(rules(batchOf(plans))).toBeNull();
    expect(rules(batchOf(plans, { user_identities: { customer_id: 'c1' } }))?.events).toEqual([plans[0], plans[3]]);
  });
});
