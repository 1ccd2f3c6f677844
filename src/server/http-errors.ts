/** Errors of HTTP itself, whatever the route: bodies, content types, paths, origins, and the 500. */
import { defineError } from '../kernel/errors.ts';

export { PathIdInvalid } from '../kernel/id-errors.ts';

export const MalformedJson = defineError('QUANTA_HTTP_JSON_MALFORMED', {
  status: 400,
  message: (reason: string) => `The request body is not valid JSON: ${reason}. Send a JSON document.`,
});

export const BodyEmpty = defineError('QUANTA_HTTP_BODY_EMPTY', {
  status: 400,
  message: (expected: string) => `The request body is empty; send ${expected}.`,
});

export const BodyTooLarge = defineError('QUANTA_HTTP_BODY_TOO_LARGE', {
  status: 413,
  message: (limitBytes: number) => `The request body is larger than ${Math.floor(limitBytes / 1024)} KB; send fewer batches per request.`,
});

export const ContentTypeUnsupported = defineError('QUANTA_HTTP_CONTENT_TYPE_UNSUPPORTED', {
  status: 415,
  message: () => 'Unsupported Content-Type; send application/json.',
});

export const ContentLengthMismatch = defineError('QUANTA_HTTP_CONTENT_LENGTH_MISMATCH', {
  status: 400,
  message: () => 'Content-Length does not match the body sent.',
});

/** A request Fastify refused (its schema validation of a query, say), in Fastify's words. */
export const RequestInvalid = defineError('QUANTA_HTTP_REQUEST_INVALID', {
  status: 400,
  message: (message: string) => message,
});

export const RouteNotFound = defineError('QUANTA_HTTP_ROUTE_NOT_FOUND', {
  status: 404,
  message: (method: string, path: string) => `No route ${method} ${path}; see /openapi.json.`,
});

export const OriginForbidden = defineError('QUANTA_HTTP_ORIGIN_FORBIDDEN', {
  status: 403,
  message: (origin: string) => `Origin ${origin} is not allowed to call Quanta; add it to QUANTA_ALLOWED_ORIGINS.`,
});

/** Anything not coded: the body names no internals (the error is logged with its stack instead). */
export const InternalFailure = defineError('QUANTA_INTERNAL_ERROR', {
  status: 500,
  message: () => 'Quanta failed to handle this request; it was logged. Retry with backoff.',
});
