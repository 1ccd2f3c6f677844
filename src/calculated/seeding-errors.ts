/** Errors of the Calculated Attributes Seeding API (`/v2/calculatedattributes`, `/v2/bulkcalculatedattributes`). */
import { defineError, problemList } from '../kernel/errors.ts';

/**
 * A seeding request that cannot be applied: every problem named. Seed problems read
 * "<CA name>: <message>", the API's documented form; nothing of the request is stored.
 */
export const SeedRequestInvalid = defineError('QUANTA_CA_SEED_REQUEST_INVALID', { status: 400, message: problemList });

export const SeedBodyNotObject = defineError('QUANTA_CA_SEED_BODY_NOT_OBJECT', {
  status: 400,
  message: () => 'The request body must be one user (a JSON object); send arrays of users to /v2/bulkcalculatedattributes.',
});

export const SeedBulkNotArray = defineError('QUANTA_CA_SEED_BULK_NOT_ARRAY', {
  status: 400,
  message: () => 'The request body must be a JSON array of users.',
});

export const SeedBulkEmpty = defineError('QUANTA_CA_SEED_BULK_EMPTY', {
  status: 400,
  message: () => 'The request body is an empty array; send at least one user.',
});

export const SeedBulkTooMany = defineError('QUANTA_CA_SEED_BULK_TOO_MANY', {
  status: 400,
  message: (users: number, max: number) => `The request has ${users} users; send at most ${max} per request.`,
});

export const SeedContentTypeUnsupported = defineError('QUANTA_CA_SEED_CONTENT_TYPE_UNSUPPORTED', {
  status: 415,
  message: (type: string | undefined) => `Content-Type ${type ? `"${type}"` : 'is missing'}; send the seeds as application/json.`,
});
