/** Errors of the write path shared by every source: batches refused before anything is appended. */
import { defineError, problemList } from '../kernel/errors.ts';

/** Batches that fail validation: every problem named, with the batch and field it is in. */
export const BatchInvalid = defineError('QUANTA_INGEST_BATCH_INVALID', { status: 400, message: problemList });

/** Batches naming a data plan (or version) that does not exist: each named. */
export const BulkNotArray = defineError('QUANTA_INGEST_BULK_NOT_ARRAY', {
  status: 400,
  message: () => 'The request body must be a JSON array of event batches.',
});

export const BulkEmpty = defineError('QUANTA_INGEST_BULK_EMPTY', {
  status: 400,
  message: () => 'The request body is an empty array; send at least one event batch.',
});

export const BulkTooLarge = defineError('QUANTA_INGEST_BULK_TOO_MANY', {
  status: 400,
  message: (batches: number, max: number) => `The request has ${batches} batches; send at most ${max} per request.`,
});

export const BatchNotObject = defineError('QUANTA_INGEST_BATCH_NOT_OBJECT', {
  status: 400,
  message: () => 'The request body must be one event batch (a JSON object); send arrays to /v2/bulkevents.',
});
