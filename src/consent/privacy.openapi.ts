/**
 * OpenAPI schemas of the privacy settings Platform API (for `/openapi.json`; the service checks
 * bodies with `parseSettingsChange` and `parsePurposeName`).
 */
import { REGULATIONS } from './consent-state.ts';
import { MAX_PURPOSE_LENGTH, MAX_WAITING_DAYS } from './privacy-settings.ts';
// The shared pieces of route schemas, here beside this API's own for its routes.
export { errors, noContent } from '../server/error-body.schema.ts';

const regulation = { type: 'object', properties: { enabled: { type: 'boolean' } } };

export const purposeSchema = {
  type: 'object',
  properties: {
    regulation: { type: 'string', enum: [...REGULATIONS] },
    purpose: { type: 'string' },
    created_on: { type: 'string', format: 'date-time', nullable: true, description: "Null for CCPA's built-in data_sale_opt_out" },
    created_by: { type: 'string', nullable: true },
  },
  examples: [{ regulation: 'gdpr', purpose: 'location_collection', created_on: '2024-03-01T10:00:00.000Z', created_by: 'client_id:abc' }],
};

export const purposeListSchema = { type: 'array', items: purposeSchema };

const gpcSchema = {
  type: 'object',
  description: 'What a Global Privacy Control signal (Sec-GPC: 1) on a Web SDK or Events API request records on a batch with no consent of its own for that purpose',
  properties: {
    enabled: { type: 'boolean' },
    regulation: { type: 'string', enum: [...REGULATIONS], description: 'ccpa: data_sale_opt_out consented (opted out); gdpr: the purpose not consented' },
    purpose: { type: 'string', description: 'The GDPR purpose (one the workspace defined); data_sale_opt_out for CCPA' },
  },
};

export const settingsSchema = {
  type: 'object',
  properties: {
    workspace_id: { type: 'integer' },
    regulations: { type: 'object', properties: { gdpr: regulation, ccpa: regulation } },
    purposes: purposeListSchema,
    erasure_waiting_period_days: { type: 'integer', minimum: 0, maximum: MAX_WAITING_DAYS },
    gpc: {
      ...gpcSchema,
      properties: {
        ...gpcSchema.properties,
        consented: { type: 'boolean', readOnly: true },
        document: { type: 'string', readOnly: true },
        active: { type: 'boolean', readOnly: true, description: 'Whether signals are applied now: enabled, and its regulation enabled' },
      },
    },
    last_modified_on: { type: 'string', format: 'date-time', nullable: true },
  },
  examples: [
    {
      workspace_id: 1234,
      regulations: { gdpr: { enabled: true }, ccpa: { enabled: true } },
      purposes: [
        { regulation: 'gdpr', purpose: 'location_collection', created_on: '2024-03-01T10:00:00.000Z', created_by: 'client_id:abc' },
        { regulation: 'ccpa', purpose: 'data_sale_opt_out', created_on: null, created_by: null },
      ],
      erasure_waiting_period_days: 7,
      gpc: { enabled: true, regulation: 'ccpa', purpose: 'data_sale_opt_out', consented: true, document: 'browser_gpc_signal', active: true },
      last_modified_on: '2024-03-01T10:05:00.000Z',
    },
  ],
};

export const settingsChangeSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    regulations: { type: 'object', additionalProperties: false, properties: { gdpr: regulation, ccpa: regulation } },
    erasure_waiting_period_days: { type: 'integer', minimum: 0, maximum: MAX_WAITING_DAYS },
    gpc: gpcSchema,
  },
  examples: [{ regulations: { ccpa: { enabled: true } }, gpc: { enabled: true, regulation: 'ccpa' } }],
};

export const purposeBodySchema = {
  type: 'object',
  required: ['purpose'],
  additionalProperties: false,
  properties: { purpose: { type: 'string', minLength: 1, maxLength: MAX_PURPOSE_LENGTH, description: 'Stored lowercase; batches name it in any case' } },
  examples: [{ purpose: 'location_collection' }],
};
