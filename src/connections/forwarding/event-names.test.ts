import { describe, expect, it } from 'vitest';
import type { BatchEvent } from '../../model/batch.ts';
import { filterNameOf } from './event-names.ts';

const event = (event_type: string, data: Record<string, unknown>) => ({ event_type, data }) as BatchEvent;

describe('filterNameOf', () => {
  it('names events by event name, screen name (else event name), commerce action; sessions have none', () => {
    expect(filterNameOf(event('custom_event', { event_name: 'Play', custom_event_type: 'other' }))).toBe('Play');
    expect(filterNameOf(event('screen_view', { event_name: 'Home' }))).toBe('Home');
    expect(filterNameOf(event('commerce_event', { product_action: { action: 'purchase', products: [] } }))).toBe('product_purchase');
    expect(filterNameOf(event('commerce_event', { product_action: { action: 'remove_from_wish_list' } }))).toBe('product_remove_from_wishlist');
    expect(filterNameOf(event('commerce_event', { promotion_action: { action: 'click' } }))).toBe('promotion_click');
    expect(filterNameOf(event('commerce_event', { product_impressions: [{}] }))).toBe('product_impression');
    expect(filterNameOf(event('session_start', {}))).toBeNull();
  });
});
