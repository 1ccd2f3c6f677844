import { MAX_BULK_DELETE_ITEMS } from './bulk-delete-request.ts';

/** OpenAPI schemas of the Bulk Profile Deletion API, with examples. */

const item = {
  type: 'object',
  required: ['action'],
  properties: {
    mpid: {
      oneOf: [{ type: 'string', pattern: '^-?\\d{1,20}$' }, { type: 'integer', format: 'int64' }],
      description: "The profile's MPID; send it as a string, so no client loses precision.",
    },
    identity_type: { type: 'string', description: 'Instead of `mpid`: an identity type (`email`, `customer_id`, `other_id_2`...), resolved with IDSync search; no user is created.' },
    value: { type: 'string', description: "The identity's value (with `identity_type`)." },
    action: { type: 'string', enum: ['delete'] },
  },
};

export const bulkDeleteExample = [
  { mpid: '-8214651245316514621', action: 'delete' },
  { mpid: '4187265391005237760', action: 'delete' },
  { identity_type: 'email', value: 'ada@example.com', action: 'delete' },
];

/** The body: always an array, even for one profile. */
export const bulkDeleteBody = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_BULK_DELETE_ITEMS,
  items: item,
  examples: [bulkDeleteExample],
};

/** A job as the API shows it: where it is, and how far. */
export const bulkDeleteJob = {
  type: 'object',
  required: ['job_id', 'status', 'users_total', 'users_done', 'not_found', 'created_at', 'completed_at'],
  properties: {
    job_id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['queued', 'in_progress', 'done'] },
    users_total: { type: 'integer', description: 'The profiles the request named that exist (duplicates once).' },
    users_done: { type: 'integer', description: 'The profiles deleted so far.' },
    not_found: { type: 'integer', description: 'Items whose identity matched no profile: nothing to delete.' },
    created_at: { type: 'string', format: 'date-time' },
    completed_at: { type: 'string', format: 'date-time', nullable: true },
  },
  examples: [
    {
      job_id: '6f1c1fd8-52f7-4c47-9b0e-3a4c1b1f0c22',
      status: 'in_progress',
      users_total: 3,
      users_done: 1,
      not_found: 0,
      created_at: '2025-05-01T10:00:00.000Z',
      completed_at: null,
    },
  ],
};
