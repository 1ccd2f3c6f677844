/** Errors of the Events API's own routes (batch errors are the ingest's). */
import { defineError } from '../../kernel/errors.ts';

export const EventsContentTypeUnsupported = defineError('QUANTA_EVENTS_CONTENT_TYPE_UNSUPPORTED', {
  status: 415,
  message: (type: string | undefined) => `Content-Type ${type ? `"${type}"` : 'is missing'}; send the batch as application/json.`,
});
