import { describe, expect, it } from 'vitest';
import { batchOf, PLAN, screen, search } from '../../test/fixtures/data-plan.ts';
import { compilePlanVersion } from './plan-compiler.ts';
import { backfillBatch, blockMetadata, quarantineBatch } from './quarantine.ts';
import { validateBatch } from './validate.ts';

const plan = compilePlanVersion(PLAN);

function quarantined() {
  const original = { ...batchOf([search({ query: 'q', category: 'film', x: 1 }), screen('Nowhere')], { user_attributes: { age: 30, hobby: 'chess' } }), batch_id: 'b-1' };
  original.events[1]!.data.event_id = 'sender-id';
  const { blocked } = validateBatch(plan, original);
  const idAt = (i: number) => `q-${i}`;
  return { original, batch: quarantineBatch(original, { planId: 'p', version: 3 }, blockMetadata(original, blocked, idAt), idAt) };
}

describe('quarantine', () => {
  it("keeps the batch as received and names what was blocked, giving events without an id Quanta's", () => {
    const { original, batch } = quarantined();
    expect(batch.events.map((e) => e.data.event_id)).toEqual(['q-0', 'sender-id']);
    expect(batch.events[0]!.data.custom_attributes).toEqual({ query: 'q', category: 'film', x: 1 });
    expect(batch.user_attributes).toEqual(original.user_attributes);
    expect(batch.context?.data_plan).toEqual({
      plan_id: 'p',
      plan_version: 3,
      block_metadata: {
        dto_version: 1,
        blocked_user_identities: [],
        blocked_device_identities: [],
        blocked_event_ids: ['sender-id'],
        blocked_event_attributes: [{ event_id: 'q-0', event_attributes: ['./data/custom_attributes/x'] }],
        blocked_user_attributes: ['hobby'],
      },
    });
    expect(original.events[0]!.data.event_id).toBeUndefined();
  });

  it('re-sends the blocked events and user attributes, without batch_id or block metadata', () => {
    const resent = backfillBatch(quarantined().batch, false)!;
    expect(resent.events.map((e) => e.data.event_id)).toEqual(['sender-id']);
    expect(resent.user_attributes).toEqual({ hobby: 'chess' });
    expect(resent.user_identities).toEqual({ customer_id: 'c1', email: 'a@b.co' });
    expect(resent).not.toHaveProperty('batch_id');
    expect(resent.context?.data_plan).toEqual({ plan_id: 'p', plan_version: 3 });
  });

  it('adds the events whose attributes were blocked only when asked', () => {
    expect(backfillBatch(quarantined().batch, true)!.events.map((e) => e.data.event_id)).toEqual(['q-0', 'sender-id']);
  });

  it('re-sends a batch blocked whole with all of its events, user attributes and identities', () => {
    const dropBatch = compilePlanVersion({ ...PLAN, settings: { validation_actions: { event: 'drop_batch' } } });
    const original = batchOf([search({ query: 'q', category: 'film' }), screen('Nowhere')], { user_attributes: { age: 30, gone: null } });
    const { blocked } = validateBatch(dropBatch, original);
    expect(blocked.batch).toBe(true);
    const idAt = (i: number) => `q-${i}`;
    const metadata = blockMetadata(original, blocked, idAt);
    expect(metadata).toMatchObject({ blocked_event_ids: ['q-0', 'q-1'], blocked_user_attributes: ['age'], blocked_user_identities: ['customer_id', 'email'] });
    const resent = backfillBatch(quarantineBatch(original, { planId: 'p', version: 1 }, metadata, idAt), false)!;
    expect(resent.events).toHaveLength(2);
    expect(resent.user_attributes).toEqual({ age: 30 });
  });

  it('has nothing to send when only event attributes were blocked', () => {
    const original = batchOf([search({ query: 'q', category: 'film', x: 1 })]);
    const idAt = (i: number) => `q-${i}`;
    const q = quarantineBatch(original, { planId: 'p', version: 1 }, blockMetadata(original, validateBatch(plan, original).blocked, idAt), idAt);
    expect(backfillBatch(q, false)).toBeUndefined();
    expect(backfillBatch(original, false)).toBeUndefined();
  });
});
