/** Errors of the Segment HTTP API (batch errors are the ingest's). */
import { defineError, problemList } from '../../kernel/errors.ts';
import { challenge } from '../../platform/platform-errors.ts';
import { SEGMENT_LIMITS } from './segment-mapping.ts';

const unauthorized = (message: string) => ({ status: 401, message: () => message, headers: challenge('Basic') }) as const;

export const SegmentAuthMalformed = defineError(
  'QUANTA_SEGMENT_AUTH_MALFORMED',
  unauthorized("The Authorization header is not Basic base64(writeKey:). Send the writeKey (an input's API key) as the user, with an empty password."),
);

export const WriteKeyEmpty = defineError(
  'QUANTA_SEGMENT_WRITE_KEY_EMPTY',
  unauthorized("The writeKey is empty. Send an input's API key as the Basic auth user (empty password)."),
);

export const WriteKeyUnknown = defineError(
  'QUANTA_SEGMENT_WRITE_KEY_UNKNOWN',
  unauthorized("The writeKey matches no input. Use an input's API key (shown at Quanta start-up) as the Segment writeKey."),
);

export const WriteKeyMissing = defineError(
  'QUANTA_SEGMENT_WRITE_KEY_MISSING',
  unauthorized('Missing writeKey. Send Basic auth with an input\'s API key as the user and an empty password, or "writeKey" in the body.'),
);

export const EncodingUnsupported = defineError('QUANTA_SEGMENT_ENCODING_UNSUPPORTED', {
  status: 415,
  message: (encoding: string) => `Content-Encoding "${encoding}" is not supported; send the body as is or gzip it.`,
});

export const GzipInvalid = defineError('QUANTA_SEGMENT_GZIP_INVALID', {
  status: 400,
  message: (reason: string) => `The body is not valid gzip though Content-Encoding says gzip (${reason}); send it gzipped or drop the header.`,
});

export const SegmentBodyTooLarge = defineError('QUANTA_SEGMENT_BODY_TOO_LARGE', {
  status: 413,
  message: (limitBytes: number) =>
    `The request body is larger than ${Math.floor(limitBytes / 1024)} KB; Segment allows ${SEGMENT_LIMITS.batchBytes / 1024} KB per batch request and ${SEGMENT_LIMITS.messageBytes / 1024} KB per message. Send fewer messages per batch.`,
});

/** Segment messages that cannot be mapped to batches: every problem named. */
export const SegmentMessagesInvalid = defineError('QUANTA_SEGMENT_MESSAGE_INVALID', { status: 400, message: problemList });
