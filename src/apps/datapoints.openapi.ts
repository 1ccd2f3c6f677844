/** OpenAPI schemas of the Platform API v1 DataPoints and DataPoint filters, for `/openapi.json`. */
import { v1List } from '../accounts/accounts.openapi.ts';
import { MAX_ID } from '../kernel/ids.ts';
import { DATAPOINT_TYPES, FILTER_TYPES } from './datapoints.ts';
export { errors } from '../server/error-body.schema.ts';
export { accountQuery } from '../server/path-params.ts';

const text = { type: 'string' } as const;
const nullableText = { type: 'string', nullable: true } as const;
const appId = { type: 'integer', minimum: 1, maximum: MAX_ID, description: 'The app', examples: [1] } as const;
export const appParams = { type: 'object', required: ['id'], properties: { id: appId } };
export const serviceParams = {
  type: 'object',
  required: ['id', 'service'],
  properties: { id: appId, service: { type: 'string', description: 'The service: an output kind (GET /v1/services), any case', examples: ['webhook'] } },
};

const point = {
  type: 'object',
  properties: { name: text, attribute_name: nullableText, type: { type: 'string', enum: [...FILTER_TYPES] }, event_type: nullableText, data_type: text, created_on: nullableText },
};
export const dataPointListSchema = v1List('datapoint', point, {
  name: 'my event',
  attribute_name: 'my event attribute',
  type: 'EventAttribute',
  event_type: 'navigation',
  data_type: 'datapoint',
  created_on: '2026-06-04T18:53:23.250',
});

export const dataPointBodySchema = {
  type: 'array',
  description: 'DataPoints to add (one object alone is taken too)',
  items: {
    type: 'object',
    properties: {
      name: text,
      attribute_name: { type: 'string', description: 'Required for EventAttribute, ScreenViewAttribute and CommerceAttribute' },
      type: { type: 'string', description: `Any case: ${DATAPOINT_TYPES.join(', ')}` },
      event_type: { type: 'string', description: 'A custom event type for Event and EventAttribute; a commerce event for Commerce and CommerceAttribute' },
    },
  },
  examples: [[{ name: 'my event', type: 'event', event_type: 'navigation' }]],
};

export const serviceFilteringSchema = v1List(
  'datapoint',
  { type: 'object', properties: { name: text, sendNewDataPointsByDefault: { type: 'boolean' } } },
  { name: 'webhook', sendNewDataPointsByDefault: true },
);
export const serviceFilteringBodySchema = {
  type: 'object',
  required: ['sendNewDataPointsByDefault'],
  properties: { sendNewDataPointsByDefault: { type: 'boolean', description: 'Whether data points first seen later are sent to the service' } },
  examples: [{ sendNewDataPointsByDefault: false }],
};

export const filterListSchema = v1List('datapoint', { ...point, properties: { ...point.properties, enabled: { type: 'boolean' } } }, {
  name: 'my event',
  attribute_name: null,
  type: 'Event',
  event_type: 'navigation',
  enabled: true,
  data_type: 'datapoint',
  created_on: '2026-06-04T18:11:06.027',
});
export const filterBodySchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['type', 'enabled'],
    properties: {
      name: text,
      attribute_name: text,
      type: { type: 'string', description: `Any case: ${FILTER_TYPES.join(', ')}` },
      event_type: text,
      enabled: { type: 'boolean', description: 'false: the point is not sent to the service' },
    },
  },
  examples: [
    [
      { name: 'my event', type: 'event', event_type: 'navigation', enabled: true },
      { name: 'my event', attribute_name: 'my event attribute', event_type: 'navigation', type: 'eventattribute', enabled: false },
    ],
  ],
};
export const filterAnswerSchema = {
  type: 'array',
  description: "The filters as taken, in v1's spellings (as mParticle answers them: without the envelope)",
  items: { type: 'object', properties: { name: text, attribute_name: text, type: text, event_type: nullableText, enabled: { type: 'boolean' } } },
  examples: [
    [
      { name: 'my event', type: 'Event', event_type: 'navigation', enabled: true },
      { name: 'my event', attribute_name: 'my event attribute', type: 'EventAttribute', event_type: 'navigation', enabled: false },
    ],
  ],
};
