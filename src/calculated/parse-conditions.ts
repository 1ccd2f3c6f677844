import { toNumber } from './decimal.ts';
import { toDate } from './dates.ts';
import {
  CONDITION_TYPES,
  type Condition,
  type ConditionType,
  isOneOf,
  LIMITS,
  operandKind,
  OPERATORS_BY_TYPE,
} from './definition.ts';

/**
 * The `conditions` of a definition: checked with the Platform API's validation messages,
 * normalised to {@link Condition}s.
 */

/** Each condition type's messages, as the Platform API's validation error table words them. */
const MESSAGES = {
  string: {
    operator: 'Invalid string condition operator',
    value: 'String condition value must be specified',
    values: 'In-list condition values must be specified',
    min: undefined,
    max: undefined,
  },
  number: {
    operator: 'Invalid numeric condition operator',
    value: 'Invalid numeric condition value',
    values: 'Invalid numeric in-list condition values',
    min: 'Invalid numeric condition minimum value',
    max: 'Invalid numeric condition maximum value',
  },
  boolean: {
    operator: 'Invalid boolean condition operator',
    value: 'Invalid boolean condition value',
    values: undefined,
    min: undefined,
    max: undefined,
  },
  date: {
    operator: 'Invalid date condition operator',
    value: 'Invalid date condition value',
    values: 'Invalid datetime in-list condition values',
    min: 'Invalid date condition minimum value',
    max: 'Invalid date condition maximum value',
  },
} as const satisfies Record<ConditionType, Record<string, string | undefined>>;

/** Quanta's messages where the Platform API documents none (same style). */
export const CONDITION_LIMIT_MESSAGES = {
  tooMany: `Invalid condition definition: at most ${LIMITS.conditions} conditions are allowed`,
  tooManyValues: `In-list condition values cannot exceed ${LIMITS.conditionValues.toLocaleString('en-US')} entries`,
  range: 'Condition minimum value cannot exceed maximum value',
} as const;

/** Whether an operand field counts as given: null, absent, "" and [] are "empty". */
function given(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);
}

/** An operand as text: strings as sent, numbers and booleans in their JSON form. */
function operandText(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** Whether an operand is valid for a condition type. */
function validOperand(type: ConditionType, text: string): boolean {
  switch (type) {
    case 'string':
      return true;
    case 'number':
      return toNumber(text) !== undefined;
    case 'boolean':
      return /^(true|false)$/i.test(text.trim());
    case 'date':
      return toDate(text) !== undefined;
  }
}

/**
 * Parses `conditions` (`null` or absent meaning none) into `problems` and conditions. Problems
 * are the documented messages, without the condition's index (the documented texts carry none).
 */
export function parseConditions(raw: unknown, problems: Set<string>): Condition[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    problems.add('Invalid condition definition');
    return [];
  }
  if (raw.length > LIMITS.conditions) problems.add(CONDITION_LIMIT_MESSAGES.tooMany);
  const out: Condition[] = [];
  for (const item of raw) {
    const condition = parseCondition(item, problems);
    if (condition) out.push(condition);
  }
  return out;
}

function parseCondition(raw: unknown, found: Set<string>): Condition | undefined {
  const problems = new Set<string>();
  const condition = checkCondition(raw, problems);
  for (const p of problems) found.add(p);
  return problems.size === 0 ? condition : undefined;
}

function checkCondition(raw: unknown, problems: Set<string>): Condition | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add('Invalid condition definition');
    return undefined;
  }
  const c = raw as Record<string, unknown>;
  const name = typeof c.attribute_name === 'string' && c.attribute_name.trim() !== '' ? c.attribute_name : undefined;
  if (name === undefined) problems.add('Condition attribute name must be specified');
  if (!isOneOf(CONDITION_TYPES, c.type)) {
    problems.add('Invalid condition definition type');
    return undefined;
  }
  const type = c.type;
  const messages = MESSAGES[type];
  const allowed: readonly string[] = OPERATORS_BY_TYPE[type];
  if (typeof c.operator !== 'string' || !allowed.includes(c.operator)) {
    problems.add(messages.operator);
    return undefined;
  }
  const operator = c.operator as Condition['operator'];
  const kind = operandKind(operator);

  let value: string | null = null;
  let values: string[] | null = null;
  let min: string | null = null;
  let max: string | null = null;

  // `value` must be empty for ranges; it is ignored by `in_list` (the API says so).
  if (kind === 'value') {
    const text = operandText(c.value);
    if (text === undefined || !validOperand(type, text)) problems.add(messages.value);
    else value = text;
  } else if (kind === 'range' && given(c.value)) problems.add('Condition value must be empty');
  else if (kind === 'none' && given(c.value)) problems.add('Condition value must be empty');

  if (kind === 'values') {
    const list = Array.isArray(c.values) ? c.values.map(operandText) : undefined;
    const texts = list?.filter((t): t is string => t !== undefined);
    if (!list || !texts || texts.length === 0 || texts.length !== list.length || !texts.every((t) => validOperand(type, t))) {
      problems.add(messages.values ?? messages.operator);
    } else if (texts.length > LIMITS.conditionValues) problems.add(CONDITION_LIMIT_MESSAGES.tooManyValues);
    else values = texts;
  } else if (given(c.values)) problems.add('Condition values must be empty');

  if (kind === 'range') {
    min = rangeBound(type, c.min_value, messages.min, problems);
    max = rangeBound(type, c.max_value, messages.max, problems);
    if (min !== null && max !== null && boundOf(type, min) > boundOf(type, max)) problems.add(CONDITION_LIMIT_MESSAGES.range);
  } else {
    if (given(c.min_value)) problems.add('Condition minimum value must be empty');
    if (given(c.max_value)) problems.add('Condition maximum value must be empty');
  }

  if (name === undefined) return undefined;
  return { type, operator, attribute_name: name, value, values, min_value: min, max_value: max } as Condition;
}

function rangeBound(type: ConditionType, raw: unknown, message: string | undefined, problems: Set<string>): string | null {
  const text = operandText(raw);
  if (text !== undefined && validOperand(type, text)) return text;
  problems.add(message ?? MESSAGES[type].operator);
  return null;
}

/** A bound's position, to check that min ≤ max (a date-only max covers its whole day). */
function boundOf(type: ConditionType, text: string): number {
  return type === 'number' ? (toNumber(text) ?? 0) : (toDate(text)?.ms ?? 0);
}
