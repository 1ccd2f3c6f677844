import type { Batch, BatchEvent } from '../model/batch.ts';
import type { DataPlanDocument } from './data-plan.ts';

/** A realistic plan version document used by the planning tests. */
export const PLAN: DataPlanDocument = {
  data_points: [
    {
      description: 'Search performed',
      match: { type: 'custom_event', criteria: { event_name: 'Search', custom_event_type: 'search' } },
      validator: {
        type: 'json_schema',
        definition: {
          properties: {
            data: {
              additionalProperties: true,
              properties: {
                custom_attributes: {
                  additionalProperties: false,
                  properties: {
                    query: { type: 'string', minLength: 1 },
                    category: { type: 'string', enum: ['books', 'music', 'film'] },
                    results: { type: 'number', minimum: 0 },
                  },
                  required: ['query', 'category'],
                },
              },
              required: ['custom_attributes'],
            },
          },
        },
      },
    },
    {
      match: { type: 'screen_view', criteria: { screen_name: 'Home' } },
      validator: {
        type: 'json_schema',
        definition: {
          properties: {
            data: {
              additionalProperties: true,
              properties: { custom_attributes: { additionalProperties: true, properties: { anchor: { type: 'string' } } } },
            },
          },
        },
      },
    },
    {
      match: { type: 'product_action', criteria: { action: 'purchase' } },
      validator: {
        type: 'json_schema',
        definition: {
          properties: {
            data: {
              additionalProperties: true,
              properties: {
                product_action: {
                  additionalProperties: true,
                  properties: {
                    action: { const: 'purchase' },
                    transaction_id: { type: 'string' },
                    total_amount: { type: 'number', minimum: 0 },
                  },
                  required: ['action', 'transaction_id'],
                },
              },
              required: ['product_action'],
            },
          },
        },
      },
    },
    { match: { type: 'session_start' }, validator: { type: 'json_schema', definition: {} } },
    {
      match: { type: 'user_attributes' },
      validator: {
        type: 'json_schema',
        definition: {
          additionalProperties: false,
          properties: {
            age: { type: 'number', minimum: 13, maximum: 120 },
            plan: { type: 'string', enum: ['free', 'pro'] },
            zip: { type: 'string', pattern: '^[0-9]{5}$' },
          },
        },
      },
    },
    {
      match: { type: 'user_identities' },
      validator: {
        type: 'json_schema',
        definition: {
          additionalProperties: false,
          properties: { customer_id: { type: 'string' }, email: { type: 'string', pattern: '^[^@]+@[^@]+$' } },
          required: ['customer_id'],
        },
      },
    },
  ],
  settings: { validation_actions: { event: 'drop_event', event_attribute: 'drop_attribute', user_attribute: 'drop_attribute' } },
};

export const search = (attrs: Record<string, unknown>, name = 'Search'): BatchEvent => ({
  event_type: 'custom_event',
  data: { event_name: name, custom_event_type: 'search', custom_attributes: attrs },
});
export const screen = (name: string, attrs: Record<string, unknown> = {}): BatchEvent => ({
  event_type: 'screen_view',
  data: { screen_name: name, custom_attributes: attrs },
});
export const purchase = (productAction: Record<string, unknown>): BatchEvent => ({
  event_type: 'commerce_event',
  data: { product_action: { action: 'purchase', ...productAction } },
});

export const batchOf = (events: BatchEvent[], user: Partial<Pick<Batch, 'user_attributes' | 'user_identities'>> = {}): Batch => ({
  events,
  environment: 'development',
  user_attributes: user.user_attributes ?? { age: 30, plan: 'pro' },
  user_identities: user.user_identities ?? { customer_id: 'c1', email: 'a@b.co' },
});

const okSearch = { query: 'dune', category: 'books' };

/** Named batches the engine and the oracle both validate. */
export const CASES: Record<string, Batch> = {
  valid: batchOf([search({ ...okSearch, results: 3 }), screen('Home'), purchase({ transaction_id: 't1', total_amount: 9.5 })]),
  'unplanned custom event': batchOf([search(okSearch, 'Searched')]),
  'unplanned screen': batchOf([screen('Settings')]),
  'unplanned commerce action': batchOf([{ event_type: 'commerce_event', data: { product_action: { action: 'refund' } } }]),
  'unplanned session_end': batchOf([{ event_type: 'session_end', data: {} }]),
  'missing required attribute': batchOf([search({ query: 'dune' })]),
  'missing custom_attributes': batchOf([{ event_type: 'custom_event', data: { event_name: 'Search', custom_event_type: 'search' } }]),
  'wrong type': batchOf([search({ ...okSearch, results: 'many' })]),
  'enum violation': batchOf([search({ query: 'dune', category: 'games' })]),
  'length violation': batchOf([search({ query: '', category: 'film' })]),
  'range violation (event)': batchOf([purchase({ transaction_id: 't1', total_amount: -1 })]),
  'missing required commerce field': batchOf([purchase({ total_amount: 3 })]),
  'extra attribute, additionalProperties false': batchOf([search({ ...okSearch, label: 'x', page: 2 })]),
  'extra attribute allowed': batchOf([screen('Home', { anchor: '/home', label: 'x' })]),
  'unplanned user attribute': batchOf([], { user_attributes: { age: 40, favourite_color: 'red' } }),
  'user attribute regex violation': batchOf([], { user_attributes: { zip: '1234a' } }),
  'user attribute range violation': batchOf([], { user_attributes: { age: 7, plan: 'gold' } }),
  'null attribute counts as absent': batchOf([search({ query: 'dune', category: null })], { user_attributes: { age: null } }),
  'everything at once': batchOf(
    [search({ category: 'games', x: 1 }), screen('About'), purchase({ transaction_id: 5 }), { event_type: 'session_start', data: {} }],
    { user_attributes: { age: 200, nickname: 'z' } },
  ),
};
