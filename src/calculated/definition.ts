import type { EventType } from '../model/event-types.ts';

/**
 * The vocabulary of a calculated attribute definition, as mParticle's Platform API v2 defines
 * it (`draft_definition` / `active_definition`), and the normalised {@link Definition} that
 * `parseDefinition` returns.
 */

/** `calculation_type`: the calculations of mParticle's Calculated Attributes Reference. */
export const CALCULATION_TYPES = [
  'count',
  'sum',
  'min',
  'max',
  'average',
  'most_frequent',
  'unique_values_count',
  'first_occurrence',
  'last_occurrence',
  'first_occurrence_timestamp',
  'last_occurrence_timestamp',
  'unique_list',
] as const;
export type CalculationType = (typeof CALCULATION_TYPES)[number];

/** The calculations that need no `attribute_name`: they look at events, not at a value. */
export const EVENT_ONLY_CALCULATIONS = ['count', 'first_occurrence_timestamp', 'last_occurrence_timestamp'] as const;

/** Whether a calculation reads an attribute's values (every calculation but count and timestamps). */
export function needsAttribute(calculation: CalculationType): boolean {
  return !(EVENT_ONLY_CALCULATIONS as readonly string[]).includes(calculation);
}

/** A condition's `type`: how the attribute's value is read. */
export const CONDITION_TYPES = ['string', 'number', 'boolean', 'date'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Every condition `operator`, in the order of the Platform API's operator/type support map. */
export const OPERATORS = [
  'exists',
  'not_exists',
  'empty',
  'in_list',
  'contains',
  'not_contains',
  'pattern',
  'equals',
  'not_equals',
  'greater_than',
  'greater_or_equal',
  'less_than',
  'less_than_or_equal',
  'before',
  'after',
  'between',
  'between_dates',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** The Platform API's "Operator - Type Support Map": the operators each condition type allows. */
export const OPERATORS_BY_TYPE = {
  string: ['exists', 'not_exists', 'empty', 'in_list', 'contains', 'not_contains', 'pattern', 'equals', 'not_equals'],
  number: [
    'exists', 'not_exists', 'empty', 'in_list', 'equals', 'not_equals',
    'greater_than', 'greater_or_equal', 'less_than', 'less_than_or_equal', 'between',
  ],
  boolean: ['exists', 'not_exists', 'empty', 'equals'],
  date: ['exists', 'not_exists', 'empty', 'equals', 'before', 'after', 'between_dates'],
} as const satisfies Record<ConditionType, readonly Operator[]>;

export type StringOperator = (typeof OPERATORS_BY_TYPE.string)[number];
export type NumberOperator = (typeof OPERATORS_BY_TYPE.number)[number];
export type BooleanOperator = (typeof OPERATORS_BY_TYPE.boolean)[number];
export type DateOperator = (typeof OPERATORS_BY_TYPE.date)[number];

/** What an operator takes: nothing, one `value`, a list of `values`, or `min_value`/`max_value`. */
export type OperandKind = 'none' | 'value' | 'values' | 'range';

/** What an operator takes (see {@link OperandKind}). */
export function operandKind(operator: Operator): OperandKind {
  switch (operator) {
    case 'exists':
    case 'not_exists':
    case 'empty':
      return 'none';
    case 'in_list':
      return 'values';
    case 'between':
    case 'between_dates':
      return 'range';
    default:
      return 'value';
  }
}

/** `time_period.type`. The Platform API's examples also show "all", which it refuses. */
export const TIME_PERIOD_TYPES = ['since', 'within'] as const;
export type TimePeriodType = (typeof TIME_PERIOD_TYPES)[number];

/** `time_period.within_unit`. */
export const WITHIN_UNITS = ['days', 'weeks'] as const;
export type WithinUnit = (typeof WITHIN_UNITS)[number];

/**
 * Data point `type`. The Platform API lists "event", "event_attribute" and "user_attribute" but
 * says only events are supported: Quanta accepts the first two (both name an event) and refuses
 * `user_attribute`.
 */
export const DATA_POINT_TYPES = ['event', 'event_attribute'] as const;
export type DataPointType = (typeof DATA_POINT_TYPES)[number];

/** `datapoint.attribute_category`: where the attribute is read (default "event_attribute"). */
export const ATTRIBUTE_CATEGORIES = ['event_attribute', 'product_attribute', 'promotion_attribute'] as const;
export type AttributeCategory = (typeof ATTRIBUTE_CATEGORIES)[number];

/** A commerce data point's `custom_event_type` for promotion events (`promotion_action.action`). */
export const PROMOTION_ACTIONS = ['view', 'click'] as const;
/**
 * A commerce data point's `custom_event_type` naming events that carry product impressions.
 * mParticle's documents are silent on it; Quanta's addition.
 */
export const IMPRESSION_ACTION = 'impression';

/** Limits mParticle's documents are silent on, chosen by Quanta. */
export const LIMITS = {
  /** Conditions in one definition. */
  conditions: 100,
  /** Entries of one condition's `values` list. */
  conditionValues: 1_000,
} as const;

/** The event a definition calculates on. */
export interface DataPoint {
  readonly type: DataPointType;
  readonly event_type: EventType;
  /** The custom event's name, the screen name of a `screen_view`, or a commerce event's name. */
  readonly event_name: string | null;
  /** A custom event's type; a commerce event's product action, promotion action or "impression". */
  readonly custom_event_type: string | null;
  readonly attribute_name: string | null;
  readonly attribute_category: AttributeCategory;
  readonly use_product_quantity: boolean;
}

interface ConditionBase<T extends ConditionType, O extends Operator> {
  readonly type: T;
  readonly operator: O;
  readonly attribute_name: string;
  /** The operand of single-value operators, as text; null otherwise. */
  readonly value: string | null;
  /** The operand of `in_list`; null otherwise. */
  readonly values: readonly string[] | null;
  /** The bounds of `between` / `between_dates`; null otherwise. */
  readonly min_value: string | null;
  readonly max_value: string | null;
}

export type Condition =
  | ConditionBase<'string', StringOperator>
  | ConditionBase<'number', NumberOperator>
  | ConditionBase<'boolean', BooleanOperator>
  | ConditionBase<'date', DateOperator>;

export type TimePeriod =
  | { readonly type: 'since'; readonly date: string; readonly within: null; readonly within_unit: null }
  | { readonly type: 'within'; readonly date: null; readonly within: number; readonly within_unit: WithinUnit };

export interface Seeding {
  /** ISO 8601: live events before it are left to the seeds. */
  readonly cutoff_date: string;
}

/**
 * A valid definition, normalised: the Platform API's field names (the data point always under
 * `datapoint`), every field present, `null` where the API allows nothing, defaults applied
 * (`attribute_category` "event_attribute", `use_product_quantity` false, no conditions `[]`).
 * Serialised with `JSON.stringify`, it is the definition as the Platform API returns it.
 */
export interface Definition {
  readonly recipe_type: 'event';
  readonly datapoint: DataPoint;
  readonly conditions: readonly Condition[];
  readonly calculation_type: CalculationType;
  readonly time_period: TimePeriod;
  readonly seeding: Seeding | null;
}

/** Whether a string is one of a closed list's values (narrowing it). */
export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}
