import { CUSTOM_EVENT_TYPES, isEventType, PRODUCT_ACTIONS } from '../model/event-types.ts';
import { DAY_MS, formatDay, parseIsoDate, startOfDay } from './dates.ts';
import {
  ATTRIBUTE_CATEGORIES,
  CALCULATION_TYPES,
  type DataPoint,
  DATA_POINT_TYPES,
  type Definition,
  IMPRESSION_ACTION,
  isOneOf,
  needsAttribute,
  PROMOTION_ACTIONS,
  type Seeding,
  type TimePeriod,
  WITHIN_UNITS,
} from './definition.ts';
import { parseConditions } from './parse-conditions.ts';

/**
 * `parseDefinition`: a Platform API v2 definition (`draft_definition`) checked and normalised.
 *
 * Every problem is reported, with the text of the Platform API's validation error table where
 * it has one. Where mParticle's documents are silent, Quanta adds messages in the same style;
 * they are marked "(Quanta)" below.
 */

export interface ParseOptions {
  /** The workspace's calculated attribute retention period, in days (mParticle's plans: 365...). */
  readonly retentionDays: number;
  /** The time of the check: `since` dates are checked against it and the retention period. */
  readonly nowMs: number;
}

export type ParseResult = { ok: true; definition: Definition } | { ok: false; problems: string[] };

/** Checks and normalises a definition sent to the Platform API (see {@link Definition}). */
export function parseDefinition(raw: unknown, options: ParseOptions): ParseResult {
  const problems = new Set<string>();
  const definition = check(raw, problems, options);
  return definition && problems.size === 0 ? { ok: true, definition } : { ok: false, problems: [...problems] };
}

/**
 * A stored definition read back: the same checks without those that depend on the time (a
 * `since` date accepted once does not become invalid as the retention period moves on).
 * Throws if the stored value is not a valid definition.
 */
export function reviveDefinition(stored: unknown): Definition {
  const problems = new Set<string>();
  const definition = check(stored, problems, undefined);
  if (!definition || problems.size > 0) throw new Error(`Not a valid calculated attribute definition: ${[...problems].join('; ')}`);
  return definition;
}

type Bag = Record<string, unknown>;

const isBag = (v: unknown): v is Bag => v !== null && typeof v === 'object' && !Array.isArray(v);
const absent = (v: unknown): boolean => v === undefined || v === null || v === '';

function check(raw: unknown, problems: Set<string>, options: ParseOptions | undefined): Definition | undefined {
  if (raw === undefined || raw === null) {
    problems.add("Field 'draft_definition' is required.");
    return undefined;
  }
  if (!isBag(raw)) {
    problems.add("Field 'draft_definition' must be an object"); // (Quanta)
    return undefined;
  }
  if (raw.recipe_type !== 'event') problems.add('Invalid recipe type');
  const calculation = isOneOf(CALCULATION_TYPES, raw.calculation_type) ? raw.calculation_type : undefined;
  if (!calculation) problems.add('Invalid calculation type');
  const datapoint = parseDataPoint(raw, calculation, problems);
  const conditions = parseConditions(raw.conditions, problems);
  const timePeriod = parseTimePeriod(raw.time_period, problems, options);
  const seeding = parseSeeding(raw.seeding, problems);
  if (!calculation || !datapoint || !timePeriod || seeding === undefined) return undefined;
  return deepFreeze({ recipe_type: 'event', datapoint, conditions, calculation_type: calculation, time_period: timePeriod, seeding });
}

/** The commerce `custom_event_type`s: product actions, promotion actions and "impression". */
const COMMERCE_ACTIONS: readonly string[] = [...PRODUCT_ACTIONS, ...PROMOTION_ACTIONS, IMPRESSION_ACTION];

function parseDataPoint(
  raw: Bag,
  calculation: Definition['calculation_type'] | undefined,
  problems: Set<string>,
): DataPoint | undefined {
  // The Platform API's examples use both spellings: `datapoint` and `data_point`.
  const key = absent(raw.datapoint) && !absent(raw.data_point) ? 'data_point' : 'datapoint';
  if (!absent(raw.datapoint) && !absent(raw.data_point) && JSON.stringify(raw.datapoint) !== JSON.stringify(raw.data_point)) {
    problems.add("Fields 'datapoint' and 'data_point' cannot differ"); // (Quanta)
  }
  const dp = raw[key];
  if (!isBag(dp)) {
    problems.add('Invalid data point specification'); // (Quanta)
    return undefined;
  }
  const size = problems.size;
  const fail = (message: string): void => void problems.add(message);

  const type = isOneOf(DATA_POINT_TYPES, dp.type) ? dp.type : undefined;
  if (dp.type === 'user_attribute') fail(`Field '${key}.type' = 'user_attribute' is not supported.`); // (Quanta)
  else if (!type) fail('Invalid data point type'); // (Quanta)

  const eventType = isEventType(dp.event_type) ? dp.event_type : undefined;
  if (!eventType) fail('Invalid data point event type'); // (Quanta)

  const eventName = optionalText(dp.event_name);
  if (eventName === undefined) fail('Invalid data point event name'); // (Quanta)
  else if (eventName === null && eventType === 'custom_event') fail('Invalid data point custom event name');
  else if (eventName === null && eventType === 'screen_view') fail('Invalid data point screen name'); // (Quanta)

  const customType = optionalText(dp.custom_event_type);
  const allowedTypes: readonly string[] =
    eventType === 'custom_event' ? CUSTOM_EVENT_TYPES : eventType === 'commerce_event' ? COMMERCE_ACTIONS : [];
  if (customType === undefined || (customType !== null && eventType && !allowedTypes.includes(customType))) {
    fail('Invalid data point custom event type');
  }

  const attributeName = optionalText(dp.attribute_name);
  if (attributeName === undefined) fail('Invalid data point attribute name'); // (Quanta)
  else if (attributeName === null && calculation && needsAttribute(calculation)) {
    fail(`Invalid data point attribute name: calculation type '${calculation}' requires one`); // (Quanta)
  }

  const category = absent(dp.attribute_category) ? 'event_attribute' : dp.attribute_category;
  if (!isOneOf(ATTRIBUTE_CATEGORIES, category)) fail('Invalid data point attribute category'); // (Quanta)
  else if (category !== 'event_attribute' && eventType && eventType !== 'commerce_event') {
    fail(`Invalid data point attribute category: '${category}' applies only to commerce_event`); // (Quanta)
  }

  const quantity = dp.use_product_quantity ?? false;
  if (typeof quantity !== 'boolean') fail('Invalid data point use_product_quantity'); // (Quanta)
  else if (quantity && category === 'event_attribute') {
    fail("Invalid data point: 'use_product_quantity' applies only to product or promotion attributes"); // (Quanta)
  }

  if (problems.size !== size || !type || !eventType || !isOneOf(ATTRIBUTE_CATEGORIES, category)) return undefined;
  return {
    type,
    event_type: eventType,
    event_name: eventName ?? null,
    custom_event_type: customType ?? null,
    attribute_name: attributeName ?? null,
    attribute_category: category,
    use_product_quantity: quantity === true,
  };
}

/** A text field that may be absent: its text, `null` when absent ("" and null too), undefined when not text. */
function optionalText(value: unknown): string | null | undefined {
  if (absent(value)) return null;
  return typeof value === 'string' ? value : undefined;
}

function parseTimePeriod(raw: unknown, problems: Set<string>, options: ParseOptions | undefined): TimePeriod | undefined {
  if (!isBag(raw)) {
    problems.add('Invalid time period specification');
    return undefined;
  }
  if (raw.type === 'all') {
    problems.add("Field 'time_period.type' = 'all' is not supported.");
    return undefined;
  }
  if (raw.type === 'since') return parseSince(raw.date, problems, options);
  if (raw.type !== 'within') {
    problems.add("Invalid 'type' time period specification");
    return undefined;
  }
  // `date` means nothing for `within`: it is dropped, as `within` is dropped for `since`.
  const within = typeof raw.within === 'number' && Number.isInteger(raw.within) && raw.within > 0 ? raw.within : undefined;
  if (within === undefined) problems.add("Invalid 'within' time period specification");
  const unit = isOneOf(WITHIN_UNITS, raw.within_unit) ? raw.within_unit : undefined;
  if (!unit) problems.add("Invalid 'within_unit' time period specification");
  if (within === undefined || !unit) return undefined;
  const days = unit === 'weeks' ? within * 7 : within;
  if (options && days > options.retentionDays) {
    problems.add(
      `The within time period cannot exceed your configured retention period of ${options.retentionDays} days for Calculated Attributes`,
    );
  }
  return { type: 'within', date: null, within, within_unit: unit };
}

function parseSince(raw: unknown, problems: Set<string>, options: ParseOptions | undefined): TimePeriod | undefined {
  const parsed = typeof raw === 'string' ? parseIsoDate(raw) : undefined;
  if (typeof raw !== 'string' || !parsed) {
    problems.add("Invalid 'date' time period specification"); // (Quanta)
    return undefined;
  }
  if (options) {
    const earliest = startOfDay(options.nowMs - options.retentionDays * DAY_MS);
    if (parsed.ms > options.nowMs) problems.add("'time_period.date' cannot be in the future"); // (Quanta)
    else if (parsed.ms < earliest) {
      problems.add(`'time_period.date' must be on or after the earliest date available of ${formatDay(earliest)}`);
    }
  }
  return { type: 'since', date: raw, within: null, within_unit: null };
}

/** `seeding`: null when absent; undefined when invalid. */
function parseSeeding(raw: unknown, problems: Set<string>): Seeding | null | undefined {
  if (raw === undefined || raw === null) return null;
  const date = isBag(raw) ? raw.cutoff_date : undefined;
  if (typeof date !== 'string' || !parseIsoDate(date)) {
    problems.add("Invalid 'cutoff_date' seeding specification"); // (Quanta)
    return undefined;
  }
  return { cutoff_date: date };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
