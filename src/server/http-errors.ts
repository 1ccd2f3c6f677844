/** Errors of HTTP itself, whatever the route: bodies, content types, paths, origins, and the 500. */
import { defineError } from '../kernel/errors.ts';

export const MalformedJson = defineError('QUANTA_HTTP_JSON_MALFORMED', {
  status: 400,
  message: (reason: string) => `The request body is not valid JSON: ${reason}. Send a JSON document.`,
});

export const BodyEmpty = defineError('QUANTA_HTTP_BODY_EMPTY', {
  status: 400,
  message: (expected: string) => `The request body is empty; send ${expected}.`,
});

export const OriginForbidden = defineError('QUANTA_HTTP_ORIGIN_FORBIDDEN', {
  status: 403,
  message: (origin: string) => `Origin ${origin} is not allowed to call Quanta; add it to QUANTA_ALLOWED_ORIGINS.`,
});
