import { describe, expect, it } from 'vitest';
import { logRecord } from '../storage/contracts/event-store.contract.ts';
import { computedAttributesOf, userAttributesOf, withComputedAttributes } from './enrichment.ts';

describe('computed attributes of a record', () => {
  it('merge over the batch\'s user attributes, winning, without changing the batch', () => {
    const record = logRecord(0, 1);
    expect(userAttributesOf(record)).toBe(record.batch.user_attributes);
    expect(computedAttributesOf(record)).toBeUndefined();
    withComputedAttributes(record, { read: () => ({ plan: 'platinum', purchases: '3' }) });
    expect(userAttributesOf(record)).toEqual({ plan: 'platinum', tags: ['a', 'b'], purchases: '3' });
    expect(record.batch.user_attributes).toEqual({ plan: 'gold', tags: ['a', 'b'] });
  });
});
