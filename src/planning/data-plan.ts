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
 * The match an event would have in a plan, or `null` for events no data point can describe
 * (push, profile, attribute/identity change events, commerce events without an action).
 */
export function eventMatch(event: BatchEvent): DataPlanMatch | null {
  const data = objectAt(event.data) ?? {};
  switch (event.event_type) {
    case 'custom_event':
      return {
        type: 'custom_event',
        criteria: { event_name: text(data.event_name), custom_event_type: text(data.custom_event_type) },
      };
    case 'screen_view':
      return { type: 'screen_view', criteria: { screen_name: text(data.screen_name) } };
    case 'commerce_event': {
      const product = objectAt(data.product_action);
      if (product) return { type: 'product_action', criteria: { action: text(product.action) } };
      const promotion = objectAt(data.promotion_action);
      if (promotion) return { type: 'promotion_action', criteria: { action: text(promotion.action) } };
      return data.product_impressions ? { type: 'product_impression' } : null;
    }
    case 'application_state_transition':
      return {
        type: 'application_state_transition',
        criteria: { application_transition_type: text(data.application_transition_type) },
      };
    case 'session_start':
    case 'session_end':
    case 'crash_report':
    case 'opt_out':
    case 'first_run':
    case 'network_performance':
    case 'breadcrumb':
    case 'uninstall':
      return { type: event.event_type };
    case 'pre_attribution':
    case 'push_registration':
    case 'push_message':
    case 'push_reaction':
    case 'profile':
    case 'user_attribute_change':
    case 'user_identity_change':
      return null;
    default: {
      const unreachable: never = event.event_type;
      throw new Error(`unknown event type ${String(unreachable)}`);
    }
  }
}
