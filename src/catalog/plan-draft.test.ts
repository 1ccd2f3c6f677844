import { describe, expect, it } from 'vitest';
import type { Batch } from '../model/batch.ts';
import { compilePlanVersion } from '../planning/plan-compiler.ts';
import { validateBatch } from '../planning/validate.ts';
import { customEvent, logRecord } from '../../test/helpers/log-records.ts';
import { CatalogAccumulator } from './catalog-accumulator.ts';
import { attributeSchema, draftPlan } from './plan-draft.ts';

describe('attributeSchema', () => {
  it.each([
    [['string'], { type: 'string' }],
    [['string-list'], { type: 'array', items: { type: 'string' } }],
    [['boolean'], { type: 'boolean' }],
    [['number'], { type: 'number' }],
    [['date-time'], { type: 'string', format: 'date-time' }],
    [['string', 'date-time'], { type: 'string' }],
    [['string', 'number'], { anyOf: [{ type: 'string' }, { type: 'number' }] }],
    [[], {}],
  ] as const)('%j → %j', (types, schema) => {
    expect(attributeSchema(types)).toEqual(schema);
  });
});

describe('draftPlan', () => {
  const batches: Partial<Batch>[] = [
    {
      events: [
        customEvent('Video Played', { title: 'Intro', secs: 3, tags: ['a'], at: '2024-05-01T10:00:00Z', hd: true, gone: null }, 'media'),
        { event_type: 'screen_view', data: { screen_name: 'Home' } },
        { event_type: 'commerce_event', data: { product_action: { action: 'purchase' }, custom_attributes: { coupon: 'X' } } },
        { event_type: 'session_start', data: {} },
      ],
      user_attributes: { plan: 'gold', age: 31, interests: ['golf'] },
      user_identities: { email: 'a@example.com', customer_id: 'c1' },
    },
    { events: [customEvent('Video Played', { title: 42 }, 'media')] },
  ];
  const acc = new CatalogAccumulator();
  batches.forEach((b, i) => acc.observe(logRecord(b, { offset: i + 1 })));
  acc.observe(logRecord({ events: [{ event_type: 'push_registration', data: {} }, { event_type: 'commerce_event', data: {} }] }));
  const draft = draftPlan(acc.drain());

  it('plans every plannable point seen, with the types detected, and nothing else', () => {
    expect(draft.data_points.map((p) => p.match)).toEqual([
      { type: 'custom_event', criteria: { event_name: 'Video Played', custom_event_type: 'media' } },
      { type: 'product_action', criteria: { action: 'purchase' } },
      { type: 'screen_view', criteria: { screen_name: 'Home' } },
      { type: 'session_start' },
      { type: 'user_attributes' },
      { type: 'user_identities' },
    ]);
    expect(draft.data_points[0]!.validator.definition).toEqual({
      type: 'object',
      properties: {
        data: {
          type: 'object',
          additionalProperties: true,
          properties: {
            custom_attributes: {
              type: 'object',
              additionalProperties: false,
              properties: {
                at: { type: 'string', format: 'date-time' },
                gone: {},
                hd: { type: 'boolean' },
                secs: { type: 'number' },
                tags: { type: 'array', items: { type: 'string' } },
                title: { anyOf: [{ type: 'string' }, { type: 'number' }] },
              },
            },
          },
        },
      },
    });
    expect(draft.data_points[4]!.validator.definition).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { age: { type: 'number' }, interests: { type: 'array', items: { type: 'string' } }, plan: { type: 'string' } },
    });
  });

  it('compiles, passes the batches it was drafted from and refuses unplanned attributes', () => {
    const plan = compilePlanVersion(draft);
    for (const b of batches) {
      const batch = logRecord(b).batch;
      expect(validateBatch(plan, batch).results).toEqual([]);
    }
    const odd = logRecord({ events: [customEvent('Video Played', { colour: 'red' }, 'media')], user_attributes: { shoe: 9 } }).batch;
    expect(validateBatch(plan, odd).results.flatMap((r) => r.data.validation_errors.map((e) => [e.validation_error_type, e.key]))).toEqual([
      ['unplanned', 'colour'],
      ['unplanned', 'shoe'],
    ]);
  });

  it('leaves out events a plan cannot name', () => {
    const a = new CatalogAccumulator();
    a.observe(logRecord({ events: [{ event_type: 'application_state_transition', data: {} }, { event_type: 'commerce_event', data: { product_action: {} } }] }));
    expect(draftPlan(a.drain())).toEqual({ data_points: [] });
  });
});
