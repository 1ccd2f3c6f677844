import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorDetail, QuantaError } from '../kernel/errors.ts';
import { BodyEmpty, BodyTooLarge, ContentLengthMismatch, ContentTypeUnsupported, InternalFailure, RequestInvalid } from './http-errors.ts';

interface ErrorBody {
  errors: ErrorDetail[];
}

/** The registered code of an error response, for operators to look up in docs/errors.md. */
export const ERROR_CODE_HEADER = 'x-quanta-error-code';

/** Fastify's own errors that are the client's fault, as Quanta's coded errors. */
const FASTIFY_ERRORS: Record<string, (request: FastifyRequest) => QuantaError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (request) => new BodyTooLarge(request.routeOptions.bodyLimit),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => new ContentTypeUnsupported(),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new BodyEmpty('a JSON document'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new ContentLengthMismatch(),
};

/** A client error Fastify raised, coded; undefined for anything else. */
function clientError(error: FastifyError, request: FastifyRequest): QuantaError | undefined {
  const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  if (known) return known(request);
  const status = error.statusCode;
  if (error.validation || (status !== undefined && status >= 400 && status < 500)) return new RequestInvalid(error.message);
  return undefined;
}

/**
 * Any error as a coded one: coded errors as they are, Fastify's client errors coded, anything
 * else logged with its stack and answered as a 500 naming nothing internal. A route plugin whose
 * API documents another error body (the DSR API's) renders this in its own error handler.
 */
export function codedErrorOf(error: FastifyError | Error, request: FastifyRequest): QuantaError {
  const coded = error instanceof QuantaError ? error : clientError(error as FastifyError, request);
  if (coded) return coded;
  request.log.error({ err: error }, 'unhandled error');
  return new InternalFailure();
}

/**
 * The one mapping from errors to HTTP responses: coded errors keep their status and headers,
 * Fastify's client errors are coded too, and anything else is a 500 that names no internals (it
 * is logged with its stack instead). Every error response carries mParticle's body and, in
 * `x-quanta-error-code`, the registered code.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const coded = codedErrorOf(error, request);
  void reply
    .status(coded.status)
    .headers({ ...coded.headers, [ERROR_CODE_HEADER]: coded.code })
    .send({ errors: coded.details() } satisfies ErrorBody);
}
