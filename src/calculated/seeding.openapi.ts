import { CALCULATION_TYPES } from './definition.ts';
import { SEED_DEVICE_IDENTITIES } from './seeding-service.ts';

/** OpenAPI schemas of the Calculated Attributes Seeding API's bodies, with the page's sample requests. */

const seedSchema = {
  type: 'object',
  description:
    'One of `value` (count, sum, minimum, maximum, first/last occurrence, first/last occurrence timestamp in UNIX epoch ms), ' +
    '`key_value_pairs` (average: `sum` and a positive integer `count`; most frequent: value to count) or `list` (unique list, unique values count).',
  properties: {
    value: { oneOf: [{ type: 'string' }, { type: 'number' }], description: 'The value to seed, used for single values.' },
    key_value_pairs: { type: 'object', additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }] } },
    list: { type: 'array', items: { type: 'string' } },
  },
};

const calculatedAttributeSeed = {
  type: 'object',
  required: ['attribute_name', 'calculation_type', 'cutoff_date', 'seed'],
  properties: {
    attribute_name: { type: 'string', description: "The name of a calculated attribute of the input's workspace (draft or active)." },
    calculation_type: {
      type: 'string',
      enum: [...CALCULATION_TYPES, 'minimum', 'maximum'],
      description: "The calculated attribute's calculation type (`minimum` and `maximum` are read as `min` and `max`).",
    },
    cutoff_date: {
      type: 'string',
      format: 'date',
      description: 'yyyy-MM-dd: events before it are left to the seed (the page\'s table spells it `cuttoff_date`, which is read too).',
    },
    seed: seedSchema,
  },
};

const userAttribute = {
  type: 'object',
  required: ['attribute_name', 'attribute_value'],
  properties: {
    attribute_name: { type: 'string' },
    attribute_value: {
      oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'array', items: { type: 'string' } }],
      description: 'Created, or updated if the user has it.',
    },
  },
};

/** One user's seeds and user attributes (`/v2/calculatedattributes`, and each item of the bulk route). */
export const seedUserSchema = {
  type: 'object',
  required: ['environment', 'calculated_attributes'],
  properties: {
    environment: { type: 'string', enum: ['production', 'development'] },
    mpid: {
      oneOf: [{ type: 'integer', format: 'int64' }, { type: 'string', pattern: '^-?\\d{1,20}$' }],
      description: 'The MPID of a user of the workspace; when set, `identities` are ignored.',
    },
    identities: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: `Finds the user when \`mpid\` is not set (never creates one): Events API user identity types and the device types ${Object.keys(SEED_DEVICE_IDENTITIES).join(', ')}.`,
    },
    calculated_attributes: {
      type: 'object',
      required: ['workspace'],
      properties: { workspace: { type: 'array', items: calculatedAttributeSeed } },
    },
    user_attributes: {
      type: 'object',
      properties: { workspace: { type: 'array', items: userAttribute } },
    },
  },
};

const at = '2019-12-01';
const userTier = { workspace: [{ attribute_name: 'User Tier', attribute_value: 'Free' }] };

/** The page's sample single user request. */
export const singleSeedExample = {
  environment: 'development',
  identities: { customer_id: '123xyz', google_advertising_id: '82416a37-84d7-417f-84f3-a5b5c6a9c570' },
  user_attributes: userTier,
  calculated_attributes: {
    workspace: [
      { attribute_name: 'LTV', calculation_type: 'sum', cutoff_date: at, seed: { value: 100.5 } },
      { attribute_name: 'Product Interests', calculation_type: 'unique_list', cutoff_date: at, seed: { list: ['travel', 'pets', 'kitchen'] } },
      { attribute_name: 'Unique product view count', calculation_type: 'unique_values_count', cutoff_date: at, seed: { list: ['air jordan', 'cup', 'microwave'] } },
      { attribute_name: 'Average Session Length', calculation_type: 'average', cutoff_date: at, seed: { key_value_pairs: { sum: 299.2, count: 20 } } },
      { attribute_name: 'Last seen value', calculation_type: 'last_occurrence', cutoff_date: at, seed: { value: 'some value' } },
      { attribute_name: 'First seen value', calculation_type: 'first_occurrence', cutoff_date: at, seed: { value: 'some value' } },
      { attribute_name: 'Last seen time', calculation_type: 'last_occurrence_timestamp', cutoff_date: at, seed: { value: 1582589378000 } },
      { attribute_name: 'First seen time', calculation_type: 'first_occurrence_timestamp', cutoff_date: at, seed: { value: 1582589378000 } },
      { attribute_name: 'Min value', calculation_type: 'min', cutoff_date: at, seed: { value: 123 } },
      { attribute_name: 'Max value', calculation_type: 'max', cutoff_date: at, seed: { value: 123 } },
      { attribute_name: 'Favorite Item', calculation_type: 'most_frequent', cutoff_date: at, seed: { key_value_pairs: { 'ice cream': 10, vegen: 5, steak: 2 } } },
    ],
  },
};

/** The page's sample bulk request. */
export const bulkSeedExample = [
  {
    environment: 'development',
    identities: { customer_id: '123xyz', google_advertising_id: '82416a37-84d7-417f-84f3-a5b5c6a9c570' },
    user_attributes: userTier,
    calculated_attributes: {
      workspace: [
        { attribute_name: 'LTV', calculation_type: 'sum', cutoff_date: at, seed: { value: 100.5 } },
        { attribute_name: 'Average Session Length', calculation_type: 'average', cutoff_date: at, seed: { key_value_pairs: { sum: 299.2, count: 20 } } },
      ],
    },
  },
  {
    environment: 'development',
    identities: { customer_id: 'abc234' },
    calculated_attributes: { workspace: [{ attribute_name: 'LTV', calculation_type: 'sum', cutoff_date: at, seed: { value: 80 } }] },
  },
];
