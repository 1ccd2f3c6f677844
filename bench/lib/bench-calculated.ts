import { BUTTONS, SCREENS } from './bodies.ts';

/**
 * The calculated attributes of `npm run bench -- calculated`: 100 definitions of every
 * calculation type over the bench traffic's events (`bodies.ts`: custom events "Button Clicked
 * <button>", screen views, commerce events with products), in the Platform API's form, half over
 * a `within` window and half `since` a date, some with conditions.
 */
export function benchCalculatedAttributes(nowMs: number): { name: string; draft_definition: Record<string, unknown> }[] {
  const since = { type: 'since', date: new Date(nowMs - 30 * 86_400_000).toISOString().slice(0, 19) };
  const within = (days: number) => ({ type: 'within', within: days, within_unit: 'days' });
  const custom = (button: string, attribute: string | null = null) => ({
    type: 'event',
    event_type: 'custom_event',
    event_name: `Button Clicked ${button}`,
    attribute_name: attribute,
  });
  const screen = (name: string, attribute: string | null = null) => ({ type: 'event', event_type: 'screen_view', event_name: name, attribute_name: attribute });
  const commerce = (action: string, attribute: string | null = null) => ({
    type: 'event',
    event_type: 'commerce_event',
    custom_event_type: action,
    attribute_name: attribute,
    ...(attribute ? { attribute_category: 'product_attribute' } : {}),
  });
  const definitions: { calculation_type: string; datapoint: Record<string, unknown>; conditions?: unknown[] }[] = [];
  for (const button of BUTTONS) {
    definitions.push(
      { calculation_type: 'count', datapoint: custom(button) },
      { calculation_type: 'unique_list', datapoint: custom(button, 'screen') },
      { calculation_type: 'most_frequent', datapoint: custom(button, 'screen') },
      { calculation_type: 'last_occurrence', datapoint: custom(button, 'position') },
      { calculation_type: 'first_occurrence_timestamp', datapoint: custom(button) },
      { calculation_type: 'unique_values_count', datapoint: custom(button, 'position') },
      { calculation_type: 'sum', datapoint: custom(button, 'position') },
      { calculation_type: 'max', datapoint: custom(button, 'position') },
      { calculation_type: 'average', datapoint: custom(button, 'position') },
      { calculation_type: 'count', datapoint: custom(button), conditions: [{ type: 'string', operator: 'equals', attribute_name: 'screen', value: 'Home' }] },
    );
  }
  for (const name of SCREENS) {
    definitions.push(
      { calculation_type: 'count', datapoint: screen(name) },
      { calculation_type: 'last_occurrence_timestamp', datapoint: screen(name) },
      { calculation_type: 'unique_list', datapoint: screen(name, 'section') },
      { calculation_type: 'first_occurrence', datapoint: screen(name, 'referrer') },
      { calculation_type: 'unique_values_count', datapoint: screen(name, 'referrer') },
    );
  }
  for (const action of ['purchase', 'add_to_cart', 'checkout', 'view_detail']) {
    definitions.push(
      { calculation_type: 'count', datapoint: commerce(action) },
      { calculation_type: 'sum', datapoint: commerce(action, 'price') },
      { calculation_type: 'average', datapoint: { ...commerce(action, 'price'), use_product_quantity: true } },
      { calculation_type: 'most_frequent', datapoint: commerce(action, 'name') },
    );
  }
  return definitions.slice(0, 100).map((d, i) => ({
    name: `bench_ca_${String(i).padStart(3, '0')}_${d.calculation_type}`,
    draft_definition: {
      recipe_type: 'event',
      calculation_type: d.calculation_type,
      datapoint: d.datapoint,
      conditions: d.conditions ?? [],
      time_period: i % 2 === 0 ? within(7 + (i % 4) * 7) : since,
    },
  }));
}
