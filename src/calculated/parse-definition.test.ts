import { describe, expect, it } from 'vitest';
import { CALCULATION_TYPES, type Definition, OPERATORS, OPERATORS_BY_TYPE } from './definition.ts';
import { parseDefinition, reviveDefinition } from './parse-definition.ts';
import { NOW, rawDefinition } from './test-batches.ts';

const OPTIONS = { retentionDays: 365, nowMs: NOW }; // NOW is 2026-01-10: the earliest date is 2025-01-10

function problems(raw: unknown, options = OPTIONS): string[] {
  const r = parseDefinition(raw, options);
  return r.ok ? [] : r.problems;
}

function parsed(raw: unknown, options = OPTIONS): Definition {
  const r = parseDefinition(raw, options);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.definition;
}

const base = (): Record<string, unknown> => rawDefinition('sum', { attribute_name: 'amount' }, { time_period: { type: 'since', date: '2025-06-01' } });
const withDatapoint = (dp: Record<string, unknown>, calculation = 'sum'): Record<string, unknown> => ({
  ...base(),
  calculation_type: calculation,
  datapoint: { ...(base().datapoint as object), ...dp },
});
const withTime = (tp: unknown): Record<string, unknown> => ({ ...base(), time_period: tp });
const withCondition = (c: Record<string, unknown>): Record<string, unknown> => ({
  ...base(),
  conditions: [{ attribute_name: 'genre', value: null, values: null, min_value: null, max_value: null, ...c }],
});

/** The Platform API's "Get all Calculated Attributes" example, as sent. */
const DOCUMENTED_ACTIVE = {
  recipe_type: 'event',
  datapoint: {
    type: 'event',
    event_name: 'Purchase',
    attribute_name: 'Total Amount',
    event_type: 'commerce_event',
    custom_event_type: 'purchase',
    attribute_category: 'product_attribute',
    use_product_quantity: true,
  },
  conditions: [
    { type: 'number', operator: 'equals', attribute_name: 'Checkout Step', value: '22', values: null, min_value: null, max_value: null },
  ],
  calculation_type: 'sum',
  time_period: { type: 'since', date: '2019-10-01T00:00:00', within: null, within_unit: null },
  seeding: { cutoff_date: '2019-10-02T00:00:00' },
};
/** The "Create a Calculated Attribute" example. */
const DOCUMENTED_CREATE = {
  recipe_type: 'event',
  datapoint: {
    type: 'event',
    event_name: 'Add To Cart',
    attribute_name: null,
    event_type: 'commerce_event',
    custom_event_type: 'add_to_cart',
    attribute_category: 'product_attribute',
    use_product_quantity: true,
  },
  conditions: [],
  calculation_type: 'count',
  time_period: { type: 'since', date: '2020-01-24T00:00:00', within: null, within_unit: null },
  seeding: { cutoff_date: '2020-01-26T00:00:00' },
};
const FEB_2020 = { retentionDays: 365, nowMs: Date.UTC(2020, 1, 18) };

describe('parseDefinition: the Platform API examples', () => {
  it('accepts the documented definitions and normalises them', () => {
    expect(parsed(DOCUMENTED_ACTIVE, FEB_2020)).toEqual(DOCUMENTED_ACTIVE);
    expect(parsed(DOCUMENTED_CREATE, FEB_2020)).toEqual(DOCUMENTED_CREATE);
  });

  it('normalises what null means: no conditions, no seeding, defaults for the data point', () => {
    const def = parsed({
      recipe_type: 'event',
      data_point: { type: 'event', event_name: 'Play', event_type: 'custom_event', attribute_name: 'title', custom_event_type: null },
      conditions: null,
      calculation_type: 'unique_list',
      time_period: { type: 'within', date: '2020-01-01', within: 4, within_unit: 'weeks' },
      seeding: null,
    });
    expect(def).toEqual({
      recipe_type: 'event',
      datapoint: {
        type: 'event',
        event_type: 'custom_event',
        event_name: 'Play',
        custom_event_type: null,
        attribute_name: 'title',
        attribute_category: 'event_attribute',
        use_product_quantity: false,
      },
      conditions: [],
      calculation_type: 'unique_list',
      time_period: { type: 'within', date: null, within: 4, within_unit: 'weeks' },
      seeding: null,
    });
    expect(Object.isFrozen(def.datapoint)).toBe(true);
  });

  it('keeps the operand a condition uses and drops the ones it ignores (value of in_list)', () => {
    const def = parsed(withCondition({ type: 'string', operator: 'in_list', value: 'ignored', values: ['Drama', 'Comedy'] }));
    expect(def.conditions).toEqual([
      { type: 'string', operator: 'in_list', attribute_name: 'genre', value: null, values: ['Drama', 'Comedy'], min_value: null, max_value: null },
    ]);
    const numeric = parsed(withCondition({ type: 'number', operator: 'between', min_value: 1, max_value: '10.5' }));
    expect(numeric.conditions[0]).toMatchObject({ min_value: '1', max_value: '10.5', value: null });
  });

  it('accepts every calculation type and every operator of the type support map', () => {
    for (const calculation of CALCULATION_TYPES) expect(problems({ ...base(), calculation_type: calculation })).toEqual([]);
    const operands = { none: {}, value: { value: '1' }, values: { values: ['1'] }, range: { min_value: '1', max_value: '2' } };
    for (const [type, operators] of Object.entries(OPERATORS_BY_TYPE)) {
      for (const operator of operators) {
        const kind = operator === 'in_list' ? 'values' : operator.startsWith('between') ? 'range' : ['exists', 'not_exists', 'empty'].includes(operator) ? 'none' : 'value';
        const value = type === 'boolean' && kind === 'value' ? { value: 'true' } : type === 'date' && kind === 'value' ? { value: '2025-01-01' } : operands[kind];
        const range = type === 'date' && kind === 'range' ? { min_value: '2025-01-01', max_value: '2025-02-01' } : {};
        expect(problems(withCondition({ type, operator, ...value, ...range })), `${type} ${operator}`).toEqual([]);
      }
    }
    expect(OPERATORS).toHaveLength(17);
  });

  it('reads a stored definition back without the checks that depend on the time', () => {
    const old = parsed(DOCUMENTED_ACTIVE, FEB_2020);
    expect(problems(JSON.parse(JSON.stringify(old)))).toEqual([
      "'time_period.date' must be on or after the earliest date available of 2025-01-10",
    ]);
    expect(reviveDefinition(JSON.parse(JSON.stringify(old)))).toEqual(old);
    expect(() => reviveDefinition({ ...DOCUMENTED_ACTIVE, calculation_type: 'median' })).toThrow('Invalid calculation type');
  });
});

describe('parseDefinition: the documented validation messages', () => {
  it.each<[string, unknown, string]>([
    ['a missing definition', undefined, "Field 'draft_definition' is required."],
    ['time period type all', withTime({ type: 'all', date: '2020-01-30' }), "Field 'time_period.type' = 'all' is not supported."],
    ['a since date before the retention', withTime({ type: 'since', date: '2025-01-09T23:59:59' }), "'time_period.date' must be on or after the earliest date available of 2025-01-10"],
    ['a within beyond the retention', withTime({ type: 'within', within: 53, within_unit: 'weeks' }), 'The within time period cannot exceed your configured retention period of 365 days for Calculated Attributes'],
    ['another recipe type', { ...base(), recipe_type: 'user' }, 'Invalid recipe type'],
    ['no recipe type', { ...base(), recipe_type: undefined }, 'Invalid recipe type'],
    ['an unknown calculation', { ...base(), calculation_type: 'median' }, 'Invalid calculation type'],
    ['no calculation', { ...base(), calculation_type: null }, 'Invalid calculation type'],
    ['no time period', withTime(null), 'Invalid time period specification'],
    ['a time period that is a string', withTime('since'), 'Invalid time period specification'],
    ['an unknown time period type', withTime({ type: 'between' }), "Invalid 'type' time period specification"],
    ['within zero', withTime({ type: 'within', within: 0, within_unit: 'days' }), "Invalid 'within' time period specification"],
    ['within 1.5', withTime({ type: 'within', within: 1.5, within_unit: 'days' }), "Invalid 'within' time period specification"],
    ['within as text', withTime({ type: 'within', within: '30', within_unit: 'days' }), "Invalid 'within' time period specification"],
    ['within in months', withTime({ type: 'within', within: 3, within_unit: 'months' }), "Invalid 'within_unit' time period specification"],
    ['a custom event without a name', withDatapoint({ event_name: null }), 'Invalid data point custom event name'],
    ['a custom event type on a screen view', withDatapoint({ event_type: 'screen_view', event_name: 'Home', custom_event_type: 'navigation' }), 'Invalid data point custom event type'],
    ['an unknown custom event type', withDatapoint({ custom_event_type: 'gaming' }), 'Invalid data point custom event type'],
    ['an unknown product action', withDatapoint({ event_type: 'commerce_event', custom_event_type: 'buy' }), 'Invalid data point custom event type'],
    ['conditions that are not a list', { ...base(), conditions: { attribute_name: 'x' } }, 'Invalid condition definition'],
    ['a condition that is not an object', { ...base(), conditions: ['genre = drama'] }, 'Invalid condition definition'],
    ['a condition type', withCondition({ type: 'list', operator: 'exists' }), 'Invalid condition definition type'],
    ['a string operator', withCondition({ type: 'string', operator: 'greater_than', value: 'a' }), 'Invalid string condition operator'],
    ['no condition attribute', withCondition({ type: 'string', operator: 'exists', attribute_name: ' ' }), 'Condition attribute name must be specified'],
    ['string in_list without values', withCondition({ type: 'string', operator: 'in_list', value: 'a' }), 'In-list condition values must be specified'],
    ['string in_list with a non-text value', withCondition({ type: 'string', operator: 'in_list', values: ['a', {}] }), 'In-list condition values must be specified'],
    ['string equals without value', withCondition({ type: 'string', operator: 'equals' }), 'String condition value must be specified'],
    ['string contains ""', withCondition({ type: 'string', operator: 'contains', value: '' }), 'String condition value must be specified'],
    ['a number operator', withCondition({ type: 'number', operator: 'contains', value: '1' }), 'Invalid numeric condition operator'],
    ['number in_list with text', withCondition({ type: 'number', operator: 'in_list', values: ['1', 'two'] }), 'Invalid numeric in-list condition values'],
    ['number between without min', withCondition({ type: 'number', operator: 'between', max_value: '5' }), 'Invalid numeric condition minimum value'],
    ['number between without max', withCondition({ type: 'number', operator: 'between', min_value: '5' }), 'Invalid numeric condition maximum value'],
    ['number greater_than text', withCondition({ type: 'number', operator: 'greater_than', value: 'ten' }), 'Invalid numeric condition value'],
    ['a boolean operator', withCondition({ type: 'boolean', operator: 'not_equals', value: 'true' }), 'Invalid boolean condition operator'],
    ['a boolean in_list', withCondition({ type: 'boolean', operator: 'in_list', values: ['true'] }), 'Invalid boolean condition operator'],
    ['a boolean value', withCondition({ type: 'boolean', operator: 'equals', value: 'yes' }), 'Invalid boolean condition value'],
    ['a date operator', withCondition({ type: 'date', operator: 'greater_than', value: '2025-01-01' }), 'Invalid date condition operator'],
    ['a date in_list (not in the support map)', withCondition({ type: 'date', operator: 'in_list', values: ['2025-01-01'] }), 'Invalid date condition operator'],
    ['date between_dates without min', withCondition({ type: 'date', operator: 'between_dates', min_value: 'soon', max_value: '2025-01-01' }), 'Invalid date condition minimum value'],
    ['date between_dates without max', withCondition({ type: 'date', operator: 'between_dates', min_value: '2025-01-01' }), 'Invalid date condition maximum value'],
    ['date before no date', withCondition({ type: 'date', operator: 'before', value: '2025-02-30' }), 'Invalid date condition value'],
    ['a value on a range', withCondition({ type: 'number', operator: 'between', value: '3', min_value: '1', max_value: '5' }), 'Condition value must be empty'],
    ['a value on exists', withCondition({ type: 'string', operator: 'exists', value: 'x' }), 'Condition value must be empty'],
    ['values on equals', withCondition({ type: 'string', operator: 'equals', value: 'a', values: ['a'] }), 'Condition values must be empty'],
    ['a min on equals', withCondition({ type: 'number', operator: 'equals', value: '1', min_value: '0' }), 'Condition minimum value must be empty'],
    ['a max on equals', withCondition({ type: 'number', operator: 'equals', value: '1', max_value: '2' }), 'Condition maximum value must be empty'],
  ])('%s', (_name, raw, message) => {
    expect(problems(raw)).toEqual([message]);
  });

  it('reports every problem at once', () => {
    const raw = {
      recipe_type: 'events',
      datapoint: { type: 'event', event_type: 'custom_event', event_name: null, attribute_name: null },
      conditions: [{ type: 'string', operator: 'between', attribute_name: 'a' }, { type: 'number', operator: 'equals', attribute_name: 'b' }],
      calculation_type: 'median',
      time_period: { type: 'within', within: -1, within_unit: 'years' },
    };
    expect(problems(raw)).toEqual([
      'Invalid recipe type',
      'Invalid calculation type',
      'Invalid data point custom event name',
      'Invalid string condition operator',
      'Invalid numeric condition value',
      "Invalid 'within' time period specification",
      "Invalid 'within_unit' time period specification",
    ]);
  });

  it('counts the earliest date from the start of its UTC day', () => {
    expect(problems(withTime({ type: 'since', date: '2025-01-10' }))).toEqual([]);
    expect(problems(withTime({ type: 'within', within: 52, within_unit: 'weeks' }))).toEqual([]);
    expect(problems(withTime({ type: 'within', within: 365, within_unit: 'days' }))).toEqual([]);
    expect(problems(withTime({ type: 'within', within: 366, within_unit: 'days' }))).toEqual([
      'The within time period cannot exceed your configured retention period of 365 days for Calculated Attributes',
    ]);
  });
});

describe('parseDefinition: where the documents are silent (Quanta)', () => {
  it.each<[string, unknown, string]>([
    ['a definition that is not an object', ['x'], "Field 'draft_definition' must be an object"],
    ['no data point', { ...base(), datapoint: undefined }, 'Invalid data point specification'],
    ['two different data points', { ...base(), data_point: { type: 'event' } }, "Fields 'datapoint' and 'data_point' cannot differ"],
    ['a user attribute data point', withDatapoint({ type: 'user_attribute' }), "Field 'datapoint.type' = 'user_attribute' is not supported."],
    ['an unknown data point type', withDatapoint({ type: 'audience' }), 'Invalid data point type'],
    ['an unknown event type', withDatapoint({ event_type: 'unknown' }), 'Invalid data point event type'],
    ['an event name that is not text', withDatapoint({ event_name: 5 }), 'Invalid data point event name'],
    ['a screen view without a screen', withDatapoint({ event_type: 'screen_view', event_name: '', custom_event_type: null }), 'Invalid data point screen name'],
    ['sum without an attribute', withDatapoint({ attribute_name: null }), "Invalid data point attribute name: calculation type 'sum' requires one"],
    ['an attribute name that is not text', withDatapoint({ attribute_name: ['a'] }), 'Invalid data point attribute name'],
    ['an unknown attribute category', withDatapoint({ attribute_category: 'user_attribute' }), 'Invalid data point attribute category'],
    ['product attributes on a custom event', withDatapoint({ attribute_category: 'product_attribute' }), "Invalid data point attribute category: 'product_attribute' applies only to commerce_event"],
    ['use_product_quantity as text', withDatapoint({ event_type: 'commerce_event', attribute_category: 'product_attribute', use_product_quantity: 'yes' }), 'Invalid data point use_product_quantity'],
    ['use_product_quantity on event attributes', withDatapoint({ use_product_quantity: true }), "Invalid data point: 'use_product_quantity' applies only to product or promotion attributes"],
    ['a since date that is not a date', withTime({ type: 'since', date: 'last monday' }), "Invalid 'date' time period specification"],
    ['a since date in the future', withTime({ type: 'since', date: '2026-01-10T00:00:01Z' }), "'time_period.date' cannot be in the future"],
    ['a seeding without a cutoff', { ...base(), seeding: {} }, "Invalid 'cutoff_date' seeding specification"],
    ['101 conditions', { ...base(), conditions: Array.from({ length: 101 }, () => ({ type: 'string', operator: 'exists', attribute_name: 'a' })) }, 'Invalid condition definition: at most 100 conditions are allowed'],
    ['1,001 in-list values', withCondition({ type: 'string', operator: 'in_list', values: Array.from({ length: 1001 }, (_, i) => `v${i}`) }), 'In-list condition values cannot exceed 1,000 entries'],
    ['a range the wrong way round', withCondition({ type: 'number', operator: 'between', min_value: '10', max_value: '1' }), 'Condition minimum value cannot exceed maximum value'],
  ])('%s', (_name, raw, message) => {
    expect(problems(raw)).toEqual([message]);
  });

  it('lets count and the timestamps go without an attribute, and allows 100 conditions', () => {
    for (const calculation of ['count', 'first_occurrence_timestamp', 'last_occurrence_timestamp']) {
      expect(problems(withDatapoint({ attribute_name: null }, calculation))).toEqual([]);
    }
    const hundred = Array.from({ length: 100 }, () => ({ type: 'string', operator: 'exists', attribute_name: 'a' }));
    expect(problems({ ...base(), conditions: hundred })).toEqual([]);
  });

  it('accepts the commerce actions, promotions and impressions as custom_event_type', () => {
    for (const action of ['purchase', 'add_to_cart', 'view_detail', 'click', 'view', 'impression']) {
      expect(problems(withDatapoint({ event_type: 'commerce_event', event_name: null, custom_event_type: action }))).toEqual([]);
    }
    expect(problems(withDatapoint({ event_type: 'session_start', event_name: null, custom_event_type: null }))).toEqual([]);
  });
});
