/**
 * OpenAPI schemas of the Data Subject Request API (OpenDSR v3 and v2, OpenGDPR v1), for
 * `/openapi.json`: bodies are read by `parseDsrRequest`, which is what the request schemas
 * describe; answers are the shapes of `dsr-bodies.ts`.
 */
import { DISCOVERED_IDENTITY_TYPES, DSR_VERSIONS, type DsrVersion, EXTENSION_IDENTITY_TYPES, MAX_IDENTITIES, REGULATIONS, REQUEST_STATUSES, REQUEST_TYPES, SUBJECT_IDENTITY_TYPES } from './dsr.ts';
import { MAX_CALLBACK_URLS, MAX_GROUP_ID_LENGTH, MPARTICLE_EXTENSION } from './dsr-parser.ts';

const ID = 'a7551968-d5d6-44b2-9831-815ac9017798';
const isoTime = { type: 'string', format: 'date-time' };
const nullableIso = { ...isoTime, nullable: true };
const subjectTypes = Object.keys(SUBJECT_IDENTITY_TYPES);
const extensionTypes = Object.keys(EXTENSION_IDENTITY_TYPES);

/** The DSR API's error body: `{"code":400,"message":"...","errors":[{"domain","reason","message"}]}`. */
export const dsrErrorBody = {
  type: 'object',
  required: ['code', 'message', 'errors'],
  properties: {
    code: { type: 'integer', description: 'The HTTP status' },
    message: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { domain: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  examples: [
    { code: 400, message: 'Subject request already exists.', errors: [{ domain: 'Validation', reason: 'InvalidOperationException', message: 'Subject request already exists.' }] },
  ],
};

/** A route's error responses in the DSR API's body. */
export const dsrErrors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, dsrErrorBody]));

const common = {
  subject_request_id: { type: 'string', format: 'uuid', description: 'A UUID v4 the controller makes for the request; unique in the workspace' },
  subject_request_type: { type: 'string', enum: [...REQUEST_TYPES] },
  submitted_time: { ...isoTime, description: 'When the data subject submitted the request (ISO 8601)' },
  status_callback_urls: { type: 'array', maxItems: MAX_CALLBACK_URLS, items: { type: 'string', format: 'uri' }, description: 'Each hears every status change, signed' },
  group_id: { type: 'string', maxLength: MAX_GROUP_ID_LENGTH, nullable: true, description: 'Relates requests: GET /requests?group_id= lists them' },
};

const identityList = (types: readonly string[], formatRequired: boolean) => ({
  type: 'array',
  items: {
    type: 'object',
    required: ['identity_type', 'identity_value', ...(formatRequired ? ['identity_format'] : [])],
    properties: { identity_type: { type: 'string', enum: types }, identity_value: { type: 'string' }, identity_format: { type: 'string', enum: ['raw'] } },
  },
});

const identityDictionary = (types: readonly string[], description: string) => ({
  type: 'object',
  description: `${description}; keys: ${types.join(', ')}`,
  additionalProperties: { type: 'object', required: ['value'], properties: { value: { type: 'string' }, encoding: { type: 'string', enum: ['raw'] } } },
});

const v3Request = {
  type: 'object',
  required: ['regulation', 'subject_request_id', 'subject_request_type', 'submitted_time'],
  description: `subject_identities is required unless the extension gives identities; at most ${MAX_IDENTITIES} identities in all. If an mpid is provided, it must be the only identity in the request.`,
  properties: {
    regulation: { type: 'string', enum: [...REGULATIONS] },
    ...common,
    skip_waiting_period: { type: 'boolean', description: 'An erasure runs at once instead of after the waiting period' },
    subject_identities: identityDictionary(subjectTypes, 'Identity type to {value, encoding}; one identity per type'),
    api_version: { type: 'string', enum: [DSR_VERSIONS.v3] },
    extensions: {
      type: 'object',
      properties: {
        [MPARTICLE_EXTENSION]: {
          type: 'object',
          properties: {
            skip_waiting_period: { type: 'boolean' },
            subject_identities: identityDictionary(['mpid', ...extensionTypes], 'mParticle identity types: mpid (then alone), other..other10, phone numbers'),
          },
        },
      },
    },
  },
  examples: [
    {
      regulation: 'gdpr',
      subject_request_id: ID,
      subject_request_type: 'erasure',
      submitted_time: '2021-11-01T15:00:00Z',
      subject_identities: { email: { value: 'johndoe@example.com', encoding: 'raw' } },
      api_version: '3.0',
      status_callback_urls: ['https://example.com/opendsr/callbacks'],
      group_id: 'my-group',
      extensions: { [MPARTICLE_EXTENSION]: { skip_waiting_period: false, subject_identities: { other6: { value: 'EA7583CD', encoding: 'raw' } } } },
    },
  ],
};

const listRequest = (version: 'v1' | 'v2') => ({
  type: 'object',
  required: [...(version === 'v2' ? ['regulation'] : []), 'subject_request_id', 'subject_request_type', 'submitted_time'],
  description: `subject_identities is required unless the extension gives identities; at most ${MAX_IDENTITIES} identities in all.`,
  properties: {
    ...(version === 'v2' ? { regulation: { type: 'string', enum: [...REGULATIONS] } } : {}),
    ...common,
    subject_identities: identityList(subjectTypes, true),
    api_version: { type: 'string', enum: [DSR_VERSIONS[version]] },
    extensions: {
      type: 'object',
      properties: {
        [MPARTICLE_EXTENSION]: {
          type: 'object',
          properties: { mpids: { type: 'array', items: { type: 'integer', format: 'int64' } }, identities: identityList([...extensionTypes, ...subjectTypes], false) },
        },
      },
    },
  },
  examples: [
    {
      ...(version === 'v2' ? { regulation: 'gdpr' } : {}),
      subject_request_id: ID,
      subject_request_type: 'erasure',
      submitted_time: '2018-10-02T15:00:00Z',
      subject_identities: [{ identity_type: 'email', identity_value: 'johndoe@example.com', identity_format: 'raw' }],
      api_version: DSR_VERSIONS[version],
      status_callback_urls: ['https://example.com/opendsr/callbacks'],
      extensions: { [MPARTICLE_EXTENSION]: { mpids: [1234567890], identities: [{ identity_type: 'other', identity_value: 'test@test1.com' }] } },
    },
  ],
});

/** The request body each version takes. */
export const requestSchema = (version: DsrVersion) => (version === 'v3' ? v3Request : listRequest(version));

export const submitResponse = {
  type: 'object',
  required: ['expected_completion_time', 'received_time', 'encoded_request', 'subject_request_id', 'controller_id'],
  description: 'Signed: X-OpenDSR-Signature (v1: X-OpenGDPR-Signature) is the base64 RSA SHA-256 signature of this body',
  properties: {
    expected_completion_time: { ...isoTime, description: 'When it is due (after the erasure waiting period, else now) plus 48 hours' },
    received_time: isoTime,
    encoded_request: { type: 'string', description: 'The request body as received, base64' },
    subject_request_id: { type: 'string' },
    controller_id: { type: 'string', description: 'The workspace id' },
  },
  examples: [{ expected_completion_time: '2021-12-09T00:00:00.000Z', received_time: '2021-11-29T18:16:24.556Z', encoded_request: 'eyJyZWd1bGF0aW9uIjoiZ2RwciJ9', subject_request_id: ID, controller_id: '3622' }],
};

const forwardingStatus = {
  type: 'object',
  properties: {
    domain: { type: 'string' },
    name: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'skipped', 'sent', 'failed'] },
    status_message: { type: 'string' },
  },
};

export const statusResponse = {
  type: 'object',
  required: ['controller_id', 'expected_completion_time', 'subject_request_id', 'group_id', 'request_status', 'api_version', 'results_url', 'extensions'],
  properties: {
    controller_id: { type: 'string', description: 'The workspace id' },
    expected_completion_time: nullableIso,
    subject_request_id: { type: 'string' },
    group_id: { type: 'string', nullable: true },
    request_status: { type: 'string', enum: [...REQUEST_STATUSES] },
    api_version: { type: 'string' },
    results_url: { type: 'string', nullable: true, description: 'Access and portability, once completed: the results zip (404 when no user matched, 410 after 7 days)' },
    extensions: { type: 'array', nullable: true, items: forwardingStatus, description: 'v3 erasures: the forwarding state of each output' },
  },
  examples: [
    { controller_id: '3622', expected_completion_time: '2021-12-09T00:00:00.000Z', subject_request_id: ID, group_id: null, request_status: 'pending', api_version: '3.0', results_url: null, extensions: null },
  ],
};

export const groupResponse = { type: 'array', items: statusResponse, examples: [[statusResponse.examples[0]]] };

export const cancelResponse = {
  type: 'object',
  required: ['expected_completion_time', 'received_time', 'subject_request_id', 'controller_id'],
  properties: { expected_completion_time: { ...nullableIso, description: 'null: cancelled' }, received_time: { ...isoTime, description: 'When the cancellation was received' }, subject_request_id: { type: 'string' }, controller_id: { type: 'string' } },
  examples: [{ expected_completion_time: null, received_time: '2018-05-16T17:35:58.363Z', subject_request_id: ID, controller_id: '3622' }],
};

export const discoveryResponse = (version: DsrVersion) => ({
  type: 'object',
  required: ['api_version', 'supported_identities', 'supported_subject_request_types', 'processor_certificate'],
  properties: {
    api_version: { type: 'string' },
    supported_identities: { type: 'array', items: { type: 'object', properties: { identity_type: { type: 'string' }, identity_format: { type: 'string' } } } },
    supported_subject_request_types: { type: 'array', items: { type: 'string', enum: [...REQUEST_TYPES] } },
    processor_certificate: { type: 'string', format: 'uri', description: 'The PEM certificate that verifies signatures, served by Quanta' },
  },
  examples: [
    {
      api_version: DSR_VERSIONS[version],
      supported_identities: DISCOVERED_IDENTITY_TYPES.map((identity_type) => ({ identity_type, identity_format: 'raw' })),
      supported_subject_request_types: ['access', 'erasure', 'portability'],
      processor_certificate: 'https://quanta.example.com/opendsr/certificate.pem',
    },
  ],
});

export const requestIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'The subject_request_id' } },
};
