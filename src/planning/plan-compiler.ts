import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { type ErrorDetail, problem } from '../kernel/errors.ts';
import {
  CRITERIALESS_MATCH_TYPES,
  type CriterialessMatchType,
  type DataPlanMatch,
  type DataPlanMatchType,
  type DataPlanValidationActions,
  MATCH_TYPES,
  matchKey,
  type ValidationActionType,
} from './data-plan.ts';
import { MatchTree } from './match-tree.ts';
import { VersionDocumentInvalid } from './plan-errors.ts';

export interface CompiledPoint {
  readonly match: DataPlanMatch;
  readonly key: string;
  /** Stops at the first error: the hot path's pass/fail check. */
  readonly check: ValidateFunction;
  /** Collects every error: compiled the first time `check` fails, to explain it. */
  readonly validate: ValidateFunction;
}

/** A plan version ready to validate batches: every schema compiled once. */
export interface CompiledPlan {
  /** Event data points by {@link matchKey}. */
  readonly events: ReadonlyMap<string, CompiledPoint>;
  /** The same points by match, for looking an event up without building its key. */
  readonly eventPoints: MatchTree<CompiledPoint>;
  readonly userAttributes?: CompiledPoint;
  readonly userIdentities?: CompiledPoint;
  readonly actions: Readonly<Required<DataPlanValidationActions>>;
}

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = addFormatsPlugin as unknown as typeof addFormatsPlugin.default;

const ACTIONS: readonly ValidationActionType[] = ['unknown', 'allow', 'drop_event', 'drop_attribute', 'drop_batch'];
const isMatchType = (v: unknown): v is DataPlanMatchType => (MATCH_TYPES as readonly unknown[]).includes(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every criteria field a match type needs: those with criteria, by name; the criterialess need none. */
const CRITERIA_FIELDS: Record<Exclude<DataPlanMatchType, CriterialessMatchType>, readonly string[]> = {
  custom_event: ['event_name', 'custom_event_type'],
  screen_view: ['screen_name'],
  product_action: ['action'],
  promotion_action: ['action'],
  application_state_transition: ['application_transition_type'],
};
const requiredCriteria = (type: DataPlanMatchType): readonly string[] =>
  (CRITERIA_FIELDS as Partial<Record<DataPlanMatchType, readonly string[]>>)[type] ?? [];

function readMatch(raw: unknown, where: string, problems: ErrorDetail[]): DataPlanMatch | undefined {
  if (!isObject(raw)) {
    problems.push(problem(`${where}.match is missing; give it a {type, criteria} object.`));
    return undefined;
  }
  const { type, criteria } = raw;
  if (type === undefined || type === null || type === '') {
    problems.push(problem(`${where}.match.type is missing; use one of: ${MATCH_TYPES.join(', ')}.`));
    return undefined;
  }
  if (!isMatchType(type)) {
    problems.push(problem(`${where}.match.type "${String(type)}" is not a match type; use one of: ${MATCH_TYPES.join(', ')}.`));
    return undefined;
  }
  const fields = requiredCriteria(type);
  const given = isObject(criteria) ? criteria : {};
  const missing = fields.filter((f) => typeof given[f] !== 'string' || given[f] === '');
  if (missing.length > 0) {
    problems.push(problem(`${where}.match.criteria of a ${type} data point needs string ${missing.join(', ')}.`));
    return undefined;
  }
  if ((CRITERIALESS_MATCH_TYPES as readonly string[]).includes(type)) return { type } as DataPlanMatch;
  return { type, criteria: Object.fromEntries(fields.map((f) => [f, given[f]])) } as DataPlanMatch;
}

function readActions(settings: unknown, problems: ErrorDetail[]): Required<DataPlanValidationActions> {
  const raw = isObject(settings) && isObject(settings.validation_actions) ? settings.validation_actions : {};
  const read = (field: keyof DataPlanValidationActions): ValidationActionType => {
    const value = raw[field];
    if (value === undefined || value === null) return 'allow';
    if ((ACTIONS as readonly unknown[]).includes(value)) return value as ValidationActionType;
    problems.push(problem(`settings.validation_actions.${field} "${String(value)}" is not an action; use one of: ${ACTIONS.join(', ')}.`));
    return 'allow';
  };
  return {
    event: read('event'),
    event_attribute: read('event_attribute'),
    user_attribute: read('user_attribute'),
    user_identity: read('user_identity'),
  };
}

/**
 * What a version document's `settings.validation_actions` block, without compiling its schemas
 * (an action that is not one counts as `allow`; {@link compilePlanVersion} refuses it).
 */
export function validationActions(doc: unknown): Required<DataPlanValidationActions> {
  return readActions(isObject(doc) ? doc.settings : undefined, []);
}

/**
 * Checks a plan version's `version_document` and compiles each data point's JSON Schema once, with
 * a fresh Ajv per plan so plans never share schema ids. Throws a {@link VersionDocumentInvalid}
 * listing every problem (missing or unknown match type, missing criteria, duplicate data point,
 * non-JSON-Schema validator, schema that does not compile), each naming its data point.
 */
export function compilePlanVersion(doc: unknown): CompiledPlan {
  if (!isObject(doc)) throw new VersionDocumentInvalid([problem('The version document must be a JSON object with data_points.')]);
  const rawPoints = doc.data_points ?? [];
  if (!Array.isArray(rawPoints)) throw new VersionDocumentInvalid([problem('version_document.data_points must be an array.')]);
  // Ajv's optimisation pass over the code it generates does not make a check faster once V8 has
  // optimised it (~0.4 µs per bench event either way), but it doubles each data point's compile time.
  const options = { strict: false, code: { optimize: false } } as const;
  const ajv = new Ajv({ ...options, allErrors: true });
  const fast = new Ajv({ ...options, allErrors: false });
  // mParticle's validator (ajv 6) checks the standard formats (date-time, email, uri...) in ajv's "fast" mode.
  addFormats(ajv, { mode: 'fast' });
  addFormats(fast, { mode: 'fast' });
  const problems: ErrorDetail[] = [];
  const points = new Map<string, CompiledPoint>();
  rawPoints.forEach((raw: unknown, i) => {
    const where = `data_points[${i}]`;
    const point = isObject(raw) ? raw : {};
    const match = readMatch(point.match, where, problems);
    if (!match) return;
    const key = matchKey(match);
    const named = `${where} (${key})`;
    if (points.has(key)) {
      problems.push(problem(`${named} duplicates an earlier data point with the same match; merge them.`));
      return;
    }
    const validator = point.validator;
    if (!isObject(validator) || validator.type !== 'json_schema') {
      problems.push(problem(`${named}.validator must be {"type":"json_schema","definition":{...}}.`));
      return;
    }
    const definition = validator.definition ?? {};
    if (!isObject(definition) && typeof definition !== 'boolean') {
      problems.push(problem(`${named}.validator.definition must be a JSON Schema object.`));
      return;
    }
    try {
      const check = fast.compile(definition);
      let explain: ValidateFunction | undefined;
      points.set(key, {
        match,
        key,
        check,
        get validate() {
          return (explain ??= ajv.compile(definition));
        },
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problems.push(problem(`${named}.validator.definition is not a valid JSON Schema: ${reason}`));
    }
  });
  const actions = readActions(doc.settings, problems);
  if (problems.length > 0) throw new VersionDocumentInvalid(problems);
  const userAttributes = points.get('user_attributes');
  const userIdentities = points.get('user_identities');
  points.delete('user_attributes');
  points.delete('user_identities');
  const eventPoints = new MatchTree<CompiledPoint>();
  for (const point of points.values()) eventPoints.setMatch(point.match, point);
  return {
    events: points,
    eventPoints,
    actions,
    ...(userAttributes ? { userAttributes } : {}),
    ...(userIdentities ? { userIdentities } : {}),
  };
}
