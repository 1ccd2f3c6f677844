import { MATCH_TYPES } from './data-plan.ts';

/** OpenAPI schema of a data point of a plan version document (mParticle's Data Planning API). */
export const dataPointSchema = {
  type: 'object',
  required: ['match'],
  properties: {
    description: { type: 'string' },
    match: {
      type: 'object',
      required: ['type'],
      properties: { type: { type: 'string', enum: [...MATCH_TYPES] }, criteria: { type: 'object', additionalProperties: true } },
    },
    validator: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['json_schema'] },
        definition: { type: 'object', additionalProperties: true, description: 'A JSON Schema' },
      },
    },
  },
};

/** OpenAPI schema of a plan version's `version_document`. */
export const versionDocumentSchema = {
  type: 'object',
  required: ['data_points'],
  additionalProperties: true,
  properties: { data_points: { type: 'array', items: dataPointSchema } },
};
