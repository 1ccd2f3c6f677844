import { BUTTONS, COUNTRIES, PLANS, SCREENS } from './bodies.ts';

/** The custom event a latency probe sends: the probe audience qualifies its user on it. */
export const PROBE_EVENT = 'Probe Qualify';
export const PROBE_AUDIENCE = 'bench_probe';

/** The calculated attributes the audiences of `npm run bench -- audiences` read. */
export function benchAudienceAttributes(nowMs: number): { name: string; draft_definition: Record<string, unknown> }[] {
  const since = { type: 'since', date: new Date(nowMs - 30 * 86_400_000).toISOString().slice(0, 19) };
  const commerce = (action: string) => ({ type: 'event', event_type: 'commerce_event', custom_event_type: action });
  return [
    { name: 'bench_purchases', draft_definition: { recipe_type: 'event', calculation_type: 'count', datapoint: commerce('purchase'), conditions: [], time_period: since } },
    {
      name: 'bench_last_screen',
      draft_definition: {
        recipe_type: 'event',
        calculation_type: 'last_occurrence',
        datapoint: { type: 'event', event_type: 'screen_view', event_name: 'Home', attribute_name: 'section' },
        conditions: [],
        time_period: since,
      },
    },
  ];
}

/**
 * 100 real-time audiences over the bench traffic (`bodies.ts`: custom events "Button Clicked
 * <button>", screen views, commerce events; user attributes plan, country, age, newsletter, tags;
 * identities; iOS and Android devices), of mixed criteria: recency windows from minutes to a
 * week, counts, exclusions, profile attributes, calculated attributes, identities, devices, first
 * seen and other audiences; the first is the latency probe's.
 */
export function benchAudiences(): { name: string; definition: Record<string, unknown> }[] {
  const custom = (button: string, extra: Record<string, unknown> = {}) => ({ event: { event_type: 'custom_event', event_name: `Button Clicked ${button}`, ...extra } });
  const screen = (name: string, extra: Record<string, unknown> = {}) => ({ event: { event_type: 'screen_view', event_name: name, ...extra } });
  const commerce = (action: string, extra: Record<string, unknown> = {}) => ({ event: { event_type: 'commerce_event', product_action: action, ...extra } });
  const within = (value: number, unit: string) => ({ within: { value, unit } });
  const atLeast = (value: number) => ({ count: { operator: 'at_least', value } });
  const attribute = (name: string, operator: string, value?: unknown) => ({ user_attribute: { name, operator, ...(value === undefined ? {} : { value }) } });
  const definitions: Record<string, unknown>[] = [{ event: { event_type: 'custom_event', event_name: PROBE_EVENT } }];
  for (const button of BUTTONS) {
    definitions.push(
      custom(button, within(10, 'minutes')),
      custom(button, { ...atLeast(3), ...within(1, 'days') }),
      custom(button, { attributes: [{ name: 'screen', operator: 'equals', value: 'home' }], ...within(1, 'hours') }),
      { and: [custom(button, within(7, 'days')), { not: custom(button, within(5, 'minutes')) }] },
      { and: [custom(button, atLeast(2)), attribute('plan', 'equals', 'gold')] },
    );
  }
  for (const name of SCREENS) {
    definitions.push(
      screen(name, within(30, 'minutes')),
      screen(name, { ...atLeast(5), ...within(1, 'days') }),
      { and: [screen(name, within(1, 'hours')), { device: { field: 'platform', operator: 'equals', value: 'ios' } }] },
      screen(name, { attributes: [{ name: 'referrer', operator: 'pattern', value: 'P*' }] }),
    );
  }
  for (const action of ['view_detail', 'add_to_cart', 'checkout', 'purchase']) {
    definitions.push(
      commerce(action, within(1, 'days')),
      commerce(action, { ...atLeast(2), ...within(7, 'days') }),
      { and: [commerce(action, within(1, 'hours')), { not: commerce('purchase', within(1, 'hours')) }] },
    );
  }
  for (const plan of PLANS) definitions.push(attribute('plan', 'equals', plan));
  for (const country of COUNTRIES) definitions.push({ and: [attribute('country', 'equals', country), custom('login', within(1, 'days'))] });
  for (const [low, high] of [[18, 25], [26, 35], [36, 50], [51, 77]] as const) definitions.push(attribute('age', 'between', [low, high]));
  definitions.push(
    attribute('newsletter', 'equals', true),
    attribute('tags', 'includes', 'b'),
    { calculated_attribute: { name: 'bench_purchases', operator: 'greater_than', value: 2 } },
    { calculated_attribute: { name: 'bench_last_screen', operator: 'equals', value: 'catalog' } },
    { and: [{ calculated_attribute: { name: 'bench_purchases', operator: 'greater_than', value: 0 } }, attribute('plan', 'not_equals', 'free')] },
    { identity: { type: 'email', operator: 'pattern', value: '*@example.com' } },
    { device: { field: 'os_version', operator: 'contains', value: '17.' } },
    { first_seen: within(1, 'days') },
    { or: [attribute('country', 'equals', 'JP'), attribute('country', 'equals', 'IN')] },
  );
  while (definitions.length < 100) {
    const i = definitions.length;
    definitions.push({ and: [custom(BUTTONS[i % BUTTONS.length]!, within(1 + (i % 24), 'hours')), screen(SCREENS[i % SCREENS.length]!, within(1, 'days'))] });
  }
  return definitions.slice(0, 100).map((definition, i) => ({ name: i === 0 ? PROBE_AUDIENCE : `bench_audience_${String(i).padStart(3, '0')}`, definition }));
}
