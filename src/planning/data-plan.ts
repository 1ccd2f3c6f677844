/**
 * The data plan version document as mParticle's Data Planning API and
 * `@mparticle/data-planning-models` define it: data points (a `match` locating the data in a batch
 * and a JSON Schema `validator`) and `settings.validation_actions` (what to block), plus the
 * validation result format of the `/validate` endpoint.
 */
import type { BatchEvent } from '../model/batch.ts';
import type { CustomEventType } from '../model/event-types.ts';

/** Match types that take no criteria: the event kind (or the batch part) alone identifies them. */
export const CRITERIALESS_MATCH_TYPES = [
  'session_start',
  'session_end',
  'crash_report',
  'opt_out',
  'first_run',
  'network_performance',
  'breadcrumb',
  'uninstall',
  'product_impression',
  'user_attributes',
  'user_identities',
] as const;
export type CriterialessMatchType = (typeof CRITERIALESS_MATCH_TYPES)[number];

export const MATCH_TYPES = [
  'custom_event',
  'screen_view',
  'product_action',
  'promotion_action',
  'application_state_transition',
  ...CRITERIALESS_MATCH_TYPES,
] as const;
export type DataPlanMatchType = (typeof MATCH_TYPES)[number];

export interface CustomEventCriteria {
  event_name: string;
  custom_event_type: CustomEventType | (string & {});
}
export interface ScreenViewCriteria {
  screen_name: string;
}
/** `product_action` (purchase, add_to_cart, ...) and `promotion_action` (view, click). */
export interface ActionCriteria {
  action: string;
}
export interface ApplicationStateTransitionCriteria {
  application_transition_type: string;
}

export type DataPlanMatch =
  | { type: 'custom_event'; criteria: CustomEventCriteria }
  | { type: 'screen_view'; criteria: ScreenViewCriteria }
  | { type: 'product_action'; criteria: ActionCriteria }
  | { type: 'promotion_action'; criteria: ActionCriteria }
  | { type: 'application_state_transition'; criteria: ApplicationStateTransitionCriteria }
  | { type: CriterialessMatchType; criteria?: Record<string, unknown> };

export interface DataPlanValidator {
  type: 'json_schema';
  definition?: Record<string, unknown>;
}

export interface DataPlanPoint {
  description?: string;
  match: DataPlanMatch;
  validator: DataPlanValidator;
}

/** `ValidationActionType` of `@mparticle/data-planning-models`. */
export type ValidationActionType = 'unknown' | 'allow' | 'drop_event' | 'drop_attribute' | 'drop_batch';

/**
 * `DataPlanValidationAction` of `@mparticle/data-planning-models`: what to do with unplanned
 * events, event attributes and user attributes. Absent means `allow`.
 *
 * `user_identity` is Quanta's own: mParticle documents that unplanned identities cannot be
 * blocked, yet its quarantine format has `blocked_user_identities`. With `drop_attribute` an
 * unplanned identity is removed before the profile, the event store and outputs see the batch
 * (IDSync has already resolved the batch's user at the edge); `drop_batch` blocks the batch.
 */
export interface DataPlanValidationActions {
  event?: ValidationActionType;
  event_attribute?: ValidationActionType;
  user_attribute?: ValidationActionType;
  user_identity?: ValidationActionType;
}

export interface DataPlanSettings {
  validation_actions?: DataPlanValidationActions;
}

/** A plan version's `version_document`. */
export interface DataPlanDocument {
  data_points?: DataPlanPoint[];
  settings?: DataPlanSettings;
}

export type ValidationErrorType = 'unknown' | 'unplanned' | 'missing_required' | 'invalid_value';

export interface ValidationError {
  validation_error_type: ValidationErrorType;
  key?: string;
  error_pointer: string;
  expected?: string;
  actual?: string | number;
  schema_keyword?: string;
}

/** One entry of the `/validate` response's `results` array. */
export interface ValidationResult {
  event_type: 'validation_result';
  data: {
    match?: DataPlanMatch;
    validation_errors: ValidationError[];
  };
}

/** The lookup key of a match, e.g. `custom_event:navigation:Search` or `screen_view::Home`. */
export function matchKey(match: DataPlanMatch): string {
  switch (match.type) {
    case 'custom_event':
      return `custom_event:${match.criteria.custom_event_type}:${match.criteria.event_name}`;
    case 'screen_view':
      return `screen_view::${match.criteria.screen_name}`;
    case 'product_action':
    case 'promotion_action':
      return `${match.type}:${match.criteria.action}`;
    case 'application_state_transition':
      return `application_state_transition:${match.criteria.application_transition_type}`;
    case 'session_start':
    case 'session_end':
    case 'crash_report':
    case 'opt_out':
    case 'first_run':
    case 'network_performance':
    case 'breadcrumb':
    case 'uninstall':
    case 'product_impression':
    case 'user_attributes':
    case 'user_identities':
      return match.type;
    default: {
      const unreachable: never = match;
      throw new Error(`unknown match ${JSON.stringify(unreachable)}`);
    }
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const objectAt = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

/**
 * Where an event or a data point sits among data points: the match type, then the first and the
 * second criterion (`''` where there is none): `custom_event` → custom event type → event name,
 * `screen_view` → `''` → screen name, `session_start` → `''` → `''`.
 */
export type MatchPath = [type: string, first: string, second: string];

/**
 * An event's {@link MatchPath}, written into `into` so that a lookup allocates nothing. Events no
 * data point can describe sit under their own event type (a commerce event with no action under
 * `commerce_event`).
 */
export function eventPath(event: BatchEvent, into: MatchPath): MatchPath {
  const data = objectAt(event.data) ?? {};
  let type: string = event.event_type;
  let first = '';
  let second = '';
  switch (event.event_type) {
    case 'custom_event':
      first = text(data.custom_event_type);
      second = text(data.event_name);
      break;
    case 'screen_view':
      second = text(data.screen_name);
      break;
    case 'commerce_event': {
      const product = objectAt(data.product_action);
      const promotion = objectAt(data.promotion_action);
      if (product) {
        type = 'product_action';
        second = text(product.action);
      } else if (promotion) {
        type = 'promotion_action';
        second = text(promotion.action);
      } else if (data.product_impressions) {
        type = 'product_impression';
      }
      break;
    }
    case 'application_state_transition':
      second = text(data.application_transition_type);
      break;
    default:
      // Criterialess (session_start...) and unplannable (push, profile...) types: the type alone.
      break;
  }
  into[0] = type;
  into[1] = first;
  into[2] = second;
  return into;
}

/** A data point match's {@link MatchPath}. */
export function matchPath(match: DataPlanMatch): MatchPath {
  switch (match.type) {
    case 'custom_event':
      return [match.type, match.criteria.custom_event_type, match.criteria.event_name];
    case 'screen_view':
      return [match.type, '', match.criteria.screen_name];
    case 'product_action':
    case 'promotion_action':
      return [match.type, '', match.criteria.action];
    case 'application_state_transition':
      return [match.type, '', match.criteria.application_transition_type];
    default:
      return [match.type, '', ''];
  }
}

/**
 * The match an event would have in a plan (the inverse of {@link matchPath} on its
 * {@link eventPath}), or `null` for events no data point can describe (push, profile,
 * attribute/identity change events, commerce events without an action).
 */
export function eventMatch(event: BatchEvent): DataPlanMatch | null {
  const [type, first, second] = eventPath(event, ['', '', '']);
  switch (type) {
    case 'custom_event':
      return { type, criteria: { event_name: second, custom_event_type: first } };
    case 'screen_view':
      return { type, criteria: { screen_name: second } };
    case 'product_action':
    case 'promotion_action':
      return { type, criteria: { action: second } };
    case 'application_state_transition':
      return { type, criteria: { application_transition_type: second } };
    default:
      return (CRITERIALESS_MATCH_TYPES as readonly string[]).includes(type) ? { type: type as CriterialessMatchType } : null;
  }
}
