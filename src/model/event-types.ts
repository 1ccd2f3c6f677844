/** Every `event_type` of mParticle's Events API (JSON reference and events OpenAPI file). */
export const EVENT_TYPES = [
  'custom_event',
  'commerce_event',
  'screen_view',
  'session_start',
  'session_end',
  'uninstall',
  'crash_report',
  'opt_out',
  'first_run',
  'pre_attribution',
  'push_registration',
  'push_message',
  'push_reaction',
  'application_state_transition',
  'network_performance',
  'breadcrumb',
  'profile',
  'user_attribute_change',
  'user_identity_change',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * `custom_event_type` values: the JSON reference's list (attribution, media, ...) plus `unknown`,
 * which the Node SDK sends.
 */
export const CUSTOM_EVENT_TYPES = [
  'attribution',
  'location',
  'media',
  'navigation',
  'search',
  'social',
  'transaction',
  'user_content',
  'user_preference',
  'other',
  'unknown',
] as const;
export type CustomEventType = (typeof CUSTOM_EVENT_TYPES)[number];

export const PRODUCT_ACTIONS = [
  'add_to_cart',
  'remove_from_cart',
  'checkout',
  'checkout_option',
  'click',
  'view_detail',
  'purchase',
  'refund',
  'add_to_wishlist',
  'remove_from_wishlist',
  'remove_from_wish_list',
] as const;

export const ENVIRONMENTS = ['production', 'development', 'unknown'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}
