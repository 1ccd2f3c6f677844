import { DataPlanService } from '@mparticle/data-planning-node';
import { describe, expect, it } from 'vitest';
import { BadRequest } from '../kernel/errors.ts';
import type { Batch } from '../model/batch.ts';
import type { ValidationResult } from './data-plan.ts';
import { batchOf, CASES, PLAN, screen, search } from '../../test/fixtures/data-plan.ts';
import { compilePlanVersion } from './plan-compiler.ts';
import { validateBatch } from './validate.ts';

interface Comparable {
  match: string;
  errors: string[];
}

/** What both validators must agree on: the match, and each error's type, key and pointer. */
function comparable(results: readonly unknown[]): Comparable[] {
  return (results as ValidationResult[]).map((r) => ({
    match: JSON.stringify(r.data.match ?? null),
    errors: r.data.validation_errors
      .map((e) => `${e.validation_error_type} key=${e.key ?? '-'} at ${e.error_pointer}`)
      .sort(),
  }));
}

async function oracle(batch: Batch): Promise<Comparable[]> {
  const service = new DataPlanService();
  const out = await service.validateBatch(structuredClone(batch) as never, { version_document: PLAN } as never);
  return comparable(out.results ?? []);
}

describe('validateBatch agrees with @mparticle/data-planning-node (offline validator)', () => {
  const plan = compilePlanVersion(PLAN);
  for (const [name, batch] of Object.entries(CASES)) {
    it(name, async () => {
      const ours = validateBatch(plan, batch).results.filter((r) => r.data.match?.type !== 'user_identities');
      expect(comparable(ours)).toEqual(await oracle(batch));
    });
  }

  it('reports nothing for a valid batch', () => {
    expect(validateBatch(plan, CASES.valid!).results).toEqual([]);
  });

  it('gives the documented result shape', () => {
    const [first] = validateBatch(plan, CASES['enum violation']!).results;
    expect(first).toEqual({
      event_type: 'validation_result',
      data: {
        match: { type: 'custom_event', criteria: { event_name: 'Search', custom_event_type: 'search' } },
        validation_errors: [
          {
            validation_error_type: 'invalid_value',
            key: 'category',
            error_pointer: '#/data/custom_attributes/category',
            actual: 'games',
            expected: 'must be equal to one of the allowed values',
            schema_keyword: 'enum',
          },
        ],
      },
    });
  });
});

describe('user identities (the oracle does not validate them: hand-written expectations)', () => {
  const plan = compilePlanVersion(PLAN);
  const identityErrors = (ids: Batch['user_identities']) =>
    validateBatch(plan, batchOf([], { user_identities: ids })).results.flatMap((r) =>
      r.data.match?.type === 'user_identities' ? r.data.validation_errors : [],
    );

  it('accepts planned identities', () => {
    expect(identityErrors({ customer_id: 'c1', email: 'a@b.co' })).toEqual([]);
  });
  it('reports an unplanned identity', () => {
    expect(identityErrors({ customer_id: 'c1', google: 'g' })).toMatchObject([
      { validation_error_type: 'unplanned', key: 'google', error_pointer: '#' },
    ]);
  });
  it('reports a missing required and an invalid identity', () => {
    expect(identityErrors({ email: 'nope' })).toMatchObject([
      { validation_error_type: 'missing_required', expected: 'customer_id', error_pointer: '#' },
      { validation_error_type: 'invalid_value', key: 'email', error_pointer: '#/email', schema_keyword: 'pattern' },
    ]);
  });
  it('treats every identity and user attribute as unplanned when the plan has no data point for them', () => {
    const bare = compilePlanVersion({ data_points: [] });
    const { results } = validateBatch(bare, batchOf([], { user_attributes: { a: 1 }, user_identities: { email: 'x@y.z' } }));
    expect(comparable(results)).toEqual([
      { match: '{"type":"user_attributes"}', errors: ['unplanned key=a at #'] },
      { match: '{"type":"user_identities"}', errors: ['unplanned key=email at #'] },
    ]);
  });
});

describe('blocking per settings.validation_actions', () => {
  const batch = CASES['everything at once']!;

  it('drops unplanned events and unplanned attributes, never invalid data, and leaves the input alone', () => {
    const before = structuredClone(batch);
    const { blocked, batch: kept } = validateBatch(compilePlanVersion(PLAN), batch);
    expect(batch).toEqual(before);
    expect(blocked.batch).toBe(false);
    expect(blocked.events.map((e) => e.event_index)).toEqual([1]);
    expect(blocked.event_attributes).toEqual([{ event_index: 0, error_pointer: '#/data/custom_attributes', key: 'x', value: 1 }]);
    expect(blocked.user_attributes).toEqual({ nickname: 'z' });
    expect(kept?.events.map((e) => e.event_type)).toEqual(['custom_event', 'commerce_event', 'session_start']);
    expect(kept?.events[0]?.data.custom_attributes).toEqual({ category: 'games' });
    expect(kept?.user_attributes).toEqual({ age: 200 });
  });

  it('blocks nothing when the actions allow', () => {
    const { blocked, batch: kept } = validateBatch(compilePlanVersion({ ...PLAN, settings: {} }), batch);
    expect(blocked).toEqual({ batch: false, events: [], event_attributes: [], user_attributes: {}, user_identities: {} });
    expect(kept).toEqual(batch);
  });

  it('drops the event holding an unplanned attribute with event_attribute: drop_event', () => {
    const doc = { ...PLAN, settings: { validation_actions: { event_attribute: 'drop_event' as const } } };
    const { blocked, batch: kept } = validateBatch(compilePlanVersion(doc), batchOf([search({ query: 'q', category: 'film', x: 1 }), screen('Home')]));
    expect(blocked.events.map((e) => e.event_index)).toEqual([0]);
    expect(kept?.events.map((e) => e.event_type)).toEqual(['screen_view']);
  });

  it('drops the whole batch with drop_batch', () => {
    const doc = { ...PLAN, settings: { validation_actions: { event: 'drop_batch' as const } } };
    const out = validateBatch(compilePlanVersion(doc), batchOf([screen('Nowhere')]));
    expect(out.blocked.batch).toBe(true);
    expect(out.batch).toBeNull();
  });

  it('never blocks events no data point can describe', () => {
    const out = validateBatch(compilePlanVersion(PLAN), batchOf([{ event_type: 'user_attribute_change', data: {} }]));
    expect(out.results[0]?.data.validation_errors).toEqual([{ validation_error_type: 'unplanned', key: 'unknown', error_pointer: '#' }]);
    expect(out.batch?.events).toHaveLength(1);
  });
});

describe('compilePlanVersion', () => {
  const point = (match: unknown, definition: unknown = {}) => ({ data_points: [{ match, validator: { type: 'json_schema', definition } }] });
  const messageOf = (doc: unknown): string => {
    try {
      compilePlanVersion(doc);
    } catch (error) {
      expect(error).toBeInstanceOf(BadRequest);
      return (error as BadRequest).message;
    }
    throw new Error('expected a BadRequest');
  };

  it('names the data point and the schema error of a schema that does not compile', () => {
    const msg = messageOf(point({ type: 'screen_view', criteria: { screen_name: 'Home' } }, { type: 'strnig' }));
    expect(msg).toMatch(/data_points\[0\] \(screen_view::Home\)\.validator\.definition is not a valid JSON Schema: .*type/);
  });
  it('rejects a missing and an unknown match type', () => {
    expect(messageOf(point({ criteria: {} }))).toMatch(/data_points\[0\]\.match\.type is missing/);
    expect(messageOf(point({ type: 'page_view' }))).toMatch(/"page_view" is not a match type/);
  });
  it('rejects missing criteria, duplicates, other validators and unknown actions', () => {
    expect(messageOf(point({ type: 'custom_event', criteria: { event_name: 'A' } }))).toMatch(/needs string custom_event_type/);
    const dup = { type: 'session_start' };
    expect(messageOf({ data_points: [point(dup).data_points[0], point(dup).data_points[0]] })).toMatch(/duplicates/);
    expect(messageOf({ data_points: [{ match: dup, validator: { type: 'regex' } }] })).toMatch(/json_schema/);
    expect(messageOf({ data_points: [], settings: { validation_actions: { event: 'block' } } })).toMatch(/not an action/);
  });
  it('compiles every data point once into lookups', () => {
    const plan = compilePlanVersion(PLAN);
    expect([...plan.events.keys()]).toEqual(['custom_event:search:Search', 'screen_view::Home', 'product_action:purchase', 'session_start']);
    expect(plan.userAttributes?.key).toBe('user_attributes');
    expect(plan.userIdentities?.key).toBe('user_identities');
    expect(plan.actions).toEqual({ event: 'drop_event', event_attribute: 'drop_attribute', user_attribute: 'drop_attribute', user_identity: 'allow' });
  });
});
