/**
 * The one registry of coded errors. Each error carries a stable `code`, the HTTP status the edge
 * maps it to (mParticle's where documented) and a message that says what to do.
 *
 * @example
 *   throw new BadRequest([{ code: 'BAD_REQUEST', message: 'events[0].event_type is missing' }]);
 */
export interface ErrorDetail {
  readonly code: string;
  readonly message: string;
}

export abstract class QuantaError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Extra response headers (Retry-After, WWW-Authenticate...). */
  readonly headers: Readonly<Record<string, string>> = {};

  /** The `errors` array of mParticle's error body. */
  details(): ErrorDetail[] {
    return [{ code: this.code, message: this.message }];
  }
}

/** 400 with every problem found, in mParticle's `{"errors":[{code,message}]}` shape. */
export class BadRequest extends QuantaError {
  readonly code = 'BAD_REQUEST';
  readonly status = 400;
  constructor(readonly problems: readonly ErrorDetail[]) {
    super(problems.map((p) => p.message).join('; '));
  }
  override details(): ErrorDetail[] {
    return [...this.problems];
  }
}

export class MalformedJson extends QuantaError {
  readonly code = 'BAD_REQUEST';
  readonly status = 400;
  constructor(reason: string) {
    super(`The request body is not valid JSON: ${reason}. Send a JSON document.`);
  }
}

export class Unauthorized extends QuantaError {
  readonly code = 'UNAUTHORIZED';
  readonly status = 401;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(message: string, scheme = 'Basic') {
    super(message);
    this.headers = { 'www-authenticate': `${scheme} realm="quanta"` };
  }
}

export class Forbidden extends QuantaError {
  readonly code = 'FORBIDDEN';
  readonly status = 403;
}

export class NotFound extends QuantaError {
  readonly code = 'NOT_FOUND';
  readonly status = 404;
}

export class Conflict extends QuantaError {
  readonly code = 'CONFLICT';
  readonly status = 409;
}

export class PayloadTooLarge extends QuantaError {
  readonly code = 'REQUEST_TOO_LARGE';
  readonly status = 413;
}

export class UnsupportedMediaType extends QuantaError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
  readonly status = 415;
}

export class RateLimited extends QuantaError {
  readonly code = 'RATE_LIMITED';
  readonly status = 429;
  override readonly headers: Readonly<Record<string, string>>;
  constructor(retryAfterSeconds: number, limit: string) {
    super(`Rate limit exceeded for this ${limit}; retry after ${retryAfterSeconds} s with backoff.`);
    this.headers = { 'retry-after': String(retryAfterSeconds), 'x-mp-rate-limit-exceeded': `"${limit}"` };
  }
}

export class ServiceUnavailable extends QuantaError {
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly status = 503;
}
