import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { QuantaError } from '../kernel/errors.ts';

interface ErrorBody {
  errors: { code: string; message: string }[];
}

/** Fastify's own errors that are the client's fault, mapped to mParticle-style bodies. */
const FASTIFY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'REQUEST_TOO_LARGE',
    message: 'The request body is larger than 256 KB; send fewer batches per request.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'Unsupported Content-Type; send application/json.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'BAD_REQUEST', message: 'The request body is empty; send a JSON document.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'Content-Length does not match the body sent.',
  },
};

/**
 * The one mapping from errors to HTTP responses: coded errors keep their status and headers,
 * Fastify's client errors get mParticle's body shape, and anything else is a 500 that names no
 * internals (it is logged with its stack instead).
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof QuantaError) {
    void reply.status(error.status).headers(error.headers).send({ errors: error.details() } satisfies ErrorBody);
    return;
  }
  const code = (error as FastifyError).code;
  const known = code ? FASTIFY_ERRORS[code] : undefined;
  if (known) {
    void reply.status(known.status).send({ errors: [{ code: known.code, message: known.message }] } satisfies ErrorBody);
    return;
  }
  const status = (error as FastifyError).statusCode;
  if ((error as FastifyError).validation || (status !== undefined && status >= 400 && status < 500)) {
    void reply.status(status ?? 400).send({ errors: [{ code: 'BAD_REQUEST', message: error.message }] } satisfies ErrorBody);
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  void reply.status(500).send({
    errors: [{ code: 'INTERNAL_ERROR', message: 'Quanta failed to handle this request; it was logged. Retry with backoff.' }],
  } satisfies ErrorBody);
}
