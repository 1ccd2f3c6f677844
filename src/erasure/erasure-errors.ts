/** Errors of the Bulk Profile Deletion API (`/userprofile/experimental/bulkdelete`). */
import { defineError, problemList } from '../kernel/errors.ts';

export const BulkDeleteNotArray = defineError('QUANTA_ERASURE_BULK_NOT_ARRAY', {
  status: 400,
  message: () => 'The request body must be a JSON array of {"mpid": "<mpid>", "action": "delete"} items, even for one profile.',
});

export const BulkDeleteEmpty = defineError('QUANTA_ERASURE_BULK_EMPTY', {
  status: 400,
  message: () => 'The request body is an empty array; send at least one profile to delete.',
});

export const BulkDeleteTooMany = defineError('QUANTA_ERASURE_BULK_TOO_MANY', {
  status: 400,
  message: (items: number, max: number) => `The request has ${items} items; send at most ${max} per request.`,
});

/** Items that cannot be read, each named by its index; nothing of the request is queued. */
export const BulkDeleteInvalid = defineError('QUANTA_ERASURE_BULK_INVALID', { status: 400, message: problemList });

export const BulkDeleteJobNotFound = defineError('QUANTA_ERASURE_JOB_NOT_FOUND', {
  status: 404,
  message: (id: string) => `No bulk deletion job ${id} in this workspace.`,
});
