/**
 * OpenAPI schemas of the Calculated Attributes Platform API v2 (for `/openapi.json`; the service
 * checks bodies with `parseDefinition`), with mParticle's documented examples.
 */
import { EVENT_TYPES } from '../model/event-types.ts';
import {
  ATTRIBUTE_CATEGORIES,
  CALCULATION_TYPES,
  CONDITION_TYPES,
  DATA_POINT_TYPES,
  OPERATORS,
  TIME_PERIOD_TYPES,
  WITHIN_UNITS,
} from './definition.ts';
// The shared pieces of route schemas, here beside this API's own for its routes.
export { errors, noContent } from '../server/error-body.schema.ts';

const text = { type: 'string', nullable: true };

const dataPointSchema = {
  type: 'object',
  description: 'The event calculated on',
  properties: {
    type: { type: 'string', enum: [...DATA_POINT_TYPES] },
    event_name: { ...text, description: 'Required for custom_event (and the screen name of screen_view)' },
    attribute_name: { ...text, description: 'The attribute read; required by every calculation but count and the timestamps' },
    event_type: { type: 'string', enum: [...EVENT_TYPES] },
    custom_event_type: { ...text, description: "A custom event's type, or a commerce event's product or promotion action" },
    attribute_category: { type: 'string', enum: [...ATTRIBUTE_CATEGORIES], default: 'event_attribute' },
    use_product_quantity: { type: 'boolean', default: false },
  },
};

const conditionSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: [...CONDITION_TYPES] },
    operator: { type: 'string', enum: [...OPERATORS], description: 'The operators each type allows: see the Platform API operator/type support map' },
    attribute_name: { type: 'string' },
    value: { ...text, description: 'The operand of single-value operators' },
    values: { type: 'array', items: { type: 'string' }, nullable: true, description: 'The operands of in_list' },
    min_value: { ...text, description: 'The lower bound of between / between_dates' },
    max_value: { ...text, description: 'The upper bound of between / between_dates' },
  },
};

/** A `draft_definition` / `active_definition`. */
export const definitionSchema = {
  type: 'object',
  nullable: true,
  properties: {
    recipe_type: { type: 'string', enum: ['event'] },
    datapoint: dataPointSchema,
    data_point: { ...dataPointSchema, description: "Accepted in requests for `datapoint`; answers use `datapoint`" },
    conditions: { type: 'array', items: conditionSchema, nullable: true },
    calculation_type: { type: 'string', enum: [...CALCULATION_TYPES] },
    time_period: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: [...TIME_PERIOD_TYPES] },
        date: { ...text, description: 'ISO 8601, for since: within the retention period' },
        within: { type: 'integer', minimum: 1, nullable: true, description: 'For within: a number of within_unit' },
        within_unit: { type: 'string', enum: [...WITHIN_UNITS], nullable: true },
      },
    },
    seeding: {
      type: 'object',
      nullable: true,
      properties: { cutoff_date: { type: 'string', description: 'ISO 8601: live events before it are left to the seeds' } },
    },
  },
};

const audit = {
  created_by: { type: 'string', readOnly: true },
  created_on: { type: 'string', format: 'date-time', readOnly: true },
  last_modified_on: { type: 'string', format: 'date-time', nullable: true, readOnly: true },
  last_modified_by: { type: 'string', nullable: true, readOnly: true },
};

const DRAFT_EXAMPLE = {
  recipe_type: 'event',
  datapoint: {
    type: 'event',
    event_name: 'Add To Cart',
    attribute_name: null,
    event_type: 'commerce_event',
    custom_event_type: 'add_to_cart',
    attribute_category: 'product_attribute',
    use_product_quantity: true,
  },
  conditions: [],
  calculation_type: 'count',
  time_period: { type: 'since', date: '2020-01-24T00:00:00', within: null, within_unit: null },
  seeding: { cutoff_date: '2020-01-26T00:00:00' },
};

const ATTRIBUTE_EXAMPLE = {
  id: 5,
  name: 'ca1',
  description: 'Calculated attribute description.',
  created_by: 'user@mparticle.com',
  created_on: '2019-09-10T15:34:44.69',
  last_modified_on: '2019-12-06T15:04:22.043',
  last_modified_by: 'user@mparticle.com',
  active_definition: {
    recipe_type: 'event',
    datapoint: {
      type: 'event',
      event_name: 'Purchase',
      attribute_name: 'Total Amount',
      event_type: 'commerce_event',
      custom_event_type: 'purchase',
      attribute_category: 'product_attribute',
      use_product_quantity: true,
    },
    conditions: [
      { type: 'number', operator: 'equals', attribute_name: 'Checkout Step', value: '22', values: null, min_value: null, max_value: null },
    ],
    calculation_type: 'sum',
    time_period: { type: 'since', date: '2019-10-01T00:00:00', within: null, within_unit: null },
    seeding: { cutoff_date: '2019-10-02T00:00:00' },
  },
  draft_definition: {
    recipe_type: 'event',
    datapoint: {
      type: 'event',
      event_name: 'Purchase',
      attribute_name: 'Total Amount',
      event_type: 'commerce_event',
      custom_event_type: 'purchase',
      attribute_category: 'product_attribute',
      use_product_quantity: true,
    },
    conditions: null,
    calculation_type: 'sum',
    time_period: { type: 'since', date: '2019-10-01T00:00:00', within: null, within_unit: null },
    seeding: null,
  },
  audience_count: 1,
  activated_on: '2020-02-18T19:24:50.426Z',
  activated_by: 'user@mparticle.com',
};

const attributeProperties = {
  id: { type: 'integer', readOnly: true },
  name: { type: 'string', description: 'Unique in the workspace, whatever its case; read-only once activated' },
  description: { type: 'string', nullable: true },
  ...audit,
  active_definition: { ...definitionSchema, readOnly: true, description: 'What is calculated; set by activation' },
  draft_definition: definitionSchema,
  audience_count: { type: 'integer', readOnly: true, description: 'Audiences using it (always 0: Quanta has no audiences yet)' },
  activated_on: { type: 'string', format: 'date-time', nullable: true, readOnly: true },
  activated_by: { type: 'string', nullable: true, readOnly: true },
};

/** A calculated attribute as answered. */
export const attributeSchema = { type: 'object', properties: attributeProperties, examples: [ATTRIBUTE_EXAMPLE] };

export const attributeListSchema = { type: 'array', items: { type: 'object', properties: attributeProperties }, examples: [[ATTRIBUTE_EXAMPLE]] };

/** The body of a create (POST) or an update (PUT). */
export const attributeBodySchema = {
  type: 'object',
  required: ['name', 'draft_definition'],
  properties: {
    name: { type: 'string', description: 'Calculated attribute name' },
    description: { type: 'string', nullable: true, description: 'Calculated attribute description (an update without it keeps it)' },
    draft_definition: { ...definitionSchema, nullable: false },
  },
};
export const createBodySchema = { ...attributeBodySchema, examples: [{ name: 'New Calculated Attribute', draft_definition: DRAFT_EXAMPLE }] };
export const updateBodySchema = {
  ...attributeBodySchema,
  examples: [
    {
      name: 'New Name',
      draft_definition: {
        recipe_type: 'event',
        datapoint: { type: 'event', event_name: 'Add To Cart', attribute_name: null, event_type: 'commerce_event', custom_event_type: 'add_to_cart' },
        conditions: [],
        calculation_type: 'count',
        time_period: { type: 'since', date: '2020-01-24T00:00:00', within: null, within_unit: null },
      },
    },
  ],
};

export const createdIdSchema = { type: 'integer', description: 'The new calculated attribute id', examples: [5678] };

export const activationSchema = {
  type: 'object',
  properties: {
    calculated_attribute_id: { type: 'integer' },
    is_active: { type: 'boolean' },
    activated_on: { type: 'string', format: 'date-time', nullable: true },
    activated_by: { type: 'string', nullable: true },
  },
  examples: [{ calculated_attribute_id: 5678, is_active: true, activated_on: '2020-02-18T19:24:50.426Z', activated_by: 'user@mparticle.com' }],
};

export const calculationSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    revision_id: { type: 'integer', nullable: true, description: 'The active revision (it grows at each activation); null before the first' },
    is_calculated: { type: 'boolean', description: 'Whether the values from history are computed' },
    calculation_percent_complete: { type: 'integer', minimum: 0, maximum: 100 },
    estimated_completion_time: {
      type: 'string',
      format: 'date-time',
      nullable: true,
      description: 'When the computation should end (when it ended, once calculated); null until there is progress to judge by',
    },
  },
  examples: [
    {
      id: 5678,
      name: 'ca1',
      revision_id: 1,
      is_calculated: false,
      calculation_percent_complete: 40,
      estimated_completion_time: '2020-02-18T20:02:13.000Z',
    },
  ],
};


