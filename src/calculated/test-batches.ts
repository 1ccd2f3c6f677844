import type { Batch, BatchEvent } from '../model/batch.ts';
import type { Definition } from './definition.ts';
import { parseDefinition } from './parse-definition.ts';

/**
 * Test fixtures: events and batches in mParticle's JSON (the Events API's batch), and
 * definitions in the Platform API's form. Used by the tests beside this file only.
 */

/** 2026-01-10T00:00:00Z: the tests' "now" unless they say otherwise. */
export const NOW = Date.UTC(2026, 0, 10);
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export function batchOf(events: BatchEvent[], extra: Partial<Batch> = {}): Batch {
  return {
    events,
    environment: 'production',
    mpid: '8675309' as Batch['mpid'],
    user_identities: { customer_id: 'c-1' },
    user_attributes: {},
    ...extra,
  };
}

export function customEvent(
  name: string,
  attributes: Record<string, unknown> | null,
  atMs: number | null,
  customType = 'other',
): BatchEvent {
  return {
    event_type: 'custom_event',
    data: { event_name: name, custom_event_type: customType, timestamp_unixtime_ms: atMs, custom_attributes: attributes },
  };
}

export function screenView(screen: string, atMs: number, attributes: Record<string, unknown> = {}): BatchEvent {
  return { event_type: 'screen_view', data: { screen_name: screen, timestamp_unixtime_ms: atMs, custom_attributes: attributes } };
}

export interface Product {
  id?: string;
  name?: string;
  brand?: string;
  category?: string;
  price?: number | string;
  quantity?: number;
  coupon_code?: string;
  custom_attributes?: Record<string, unknown>;
}

export function productAction(
  action: string,
  products: Product[],
  options: { atMs?: number; attributes?: Record<string, unknown>; eventName?: string; totalAmount?: number } = {},
): BatchEvent {
  return {
    event_type: 'commerce_event',
    data: {
      timestamp_unixtime_ms: options.atMs ?? NOW - HOUR,
      custom_attributes: options.attributes ?? {},
      ...(options.eventName === undefined ? {} : { event_name: options.eventName }),
      currency_code: 'USD',
      product_action: { action, transaction_id: 't-1', total_amount: options.totalAmount ?? 0, products },
    },
  };
}

export function promotionAction(
  action: 'view' | 'click',
  promotions: { id?: string; name?: string; creative?: string; position?: string }[],
  atMs = NOW - HOUR,
  attributes: Record<string, unknown> = {},
): BatchEvent {
  return {
    event_type: 'commerce_event',
    data: { timestamp_unixtime_ms: atMs, custom_attributes: attributes, promotion_action: { action, promotions } },
  };
}

export function impressions(products: Product[], atMs = NOW - HOUR): BatchEvent {
  return {
    event_type: 'commerce_event',
    data: { timestamp_unixtime_ms: atMs, product_impressions: [{ product_impression_list: 'home', products }] },
  };
}

/** A raw definition (Platform API form), `datapoint` and `time_period` merged over defaults. */
export function rawDefinition(
  calculation: string,
  datapoint: Record<string, unknown>,
  rest: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    recipe_type: 'event',
    datapoint: { type: 'event', event_type: 'custom_event', event_name: 'Play', attribute_name: null, ...datapoint },
    conditions: null,
    calculation_type: calculation,
    time_period: { type: 'since', date: '2025-01-01T00:00:00', within: null, within_unit: null },
    seeding: null,
    ...rest,
  };
}

/** A valid definition; throws with the problems otherwise. */
export function definitionOf(
  calculation: string,
  datapoint: Record<string, unknown> = {},
  rest: Record<string, unknown> = {},
): Definition {
  const parsed = parseDefinition(rawDefinition(calculation, datapoint, rest), { retentionDays: 3650, nowMs: NOW });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.definition;
}

/** `within` N units. */
export const within = (n: number, unit: 'days' | 'weeks' = 'days'): Record<string, unknown> => ({
  time_period: { type: 'within', date: null, within: n, within_unit: unit },
});
