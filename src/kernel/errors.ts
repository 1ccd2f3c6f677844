/**
 * The one registry of coded errors. Every error Quanta raises is defined once, beside the
 * capability that raises it, with {@link defineError}: a registered code `QUANTA_<AREA>_<WHAT>`
 * (what `x-quanta-error-code` carries and docs/errors.md explains), the HTTP status, the code
 * word mParticle's body carries (derived from the status) and a typed message template.
 *
 * @example
 *   export const PlanNotFound = defineError('QUANTA_PLAN_NOT_FOUND', {
 *     status: 404,
 *     message: (ws: WorkspaceId, planId: string) => `The specified plan ID ${planId} in workspace ${ws} was not found.`,
 *   });
 *   throw new PlanNotFound(ws, planId);
 */

/** One entry of mParticle's error body, `{"errors":[{"code","message"}]}`. */
export interface ErrorDetail {
  readonly code: string;
  readonly message: string;
}

/** The statuses Quanta answers errors with, and the code word mParticle's body carries for each. */
const BODY_CODES = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  // The DSR API's: an access request's results downloaded after they expired.
  410: 'GONE',
  413: 'REQUEST_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  // The Platform API's: a request that failed its business rules (mParticle's body code for them).
  422: 'VALIDATION_ERROR',
  429: 'RATE_LIMITED',
  500: 'INTERNAL_ERROR',
  503: 'SERVICE_UNAVAILABLE',
} as const;
export type ErrorStatus = keyof typeof BODY_CODES;
export type ErrorCode = `QUANTA_${string}`;
export type ErrorHeaders = Readonly<Record<string, string>>;

/** What a template renders: one message, or each problem of a request that has several. */
export type Rendered = string | readonly ErrorDetail[];

/** One of the several problems a 400 names (each invalid field of a batch), as its body shows it. */
export const problem = (message: string): ErrorDetail => ({ code: BODY_CODES[400], message });

/** The template of an error that lists every problem found. */
export const problemList = (problems: readonly ErrorDetail[]): Rendered => problems;

export interface RegisteredError {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  readonly bodyCode: string;
}

type ErrorClass = abstract new (...args: never) => QuantaError;

const CODE_FORM = /^QUANTA_[A-Z0-9]+(_[A-Z0-9]+)+$/;
const registry = new Map<string, RegisteredError & { readonly type: ErrorClass }>();

function register(type: ErrorClass, entry: RegisteredError): void {
  if (!CODE_FORM.test(entry.code)) throw new Error(`Error code ${entry.code} is not of the form QUANTA_<AREA>_<WHAT>.`);
  if (registry.has(entry.code)) throw new Error(`Error code ${entry.code} is defined twice.`);
  registry.set(entry.code, { ...entry, type });
  Object.assign(type, entry);
  // Stack traces and logs then start with the code: `QUANTA_PLAN_NOT_FOUND: The specified plan...`.
  Object.defineProperty(type.prototype, 'name', { value: entry.code, writable: true, configurable: true });
}

/** Every registered error, in the order defined. */
export function registeredErrors(): RegisteredError[] {
  return [...registry.values()].map(({ code, status, bodyCode }) => ({ code, status, bodyCode }));
}

export abstract class QuantaError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  /** The `code` of each entry of the body. */
  readonly bodyCode: string;
  /** The messages the body lists: one, or each problem found. */
  readonly problems: readonly string[];
  /** Extra response headers (Retry-After, WWW-Authenticate...). */
  readonly headers: ErrorHeaders;

  /** Called by the classes {@link defineError} makes, and by {@link decodeError} with what it received. */
  constructor(rendered: string | readonly (string | ErrorDetail)[], headers: ErrorHeaders = {}) {
    const problems = typeof rendered === 'string' ? [rendered] : rendered.map((p) => (typeof p === 'string' ? p : p.message));
    super(problems.join('; '));
    ({ code: this.code, status: this.status, bodyCode: this.bodyCode } = new.target as unknown as RegisteredError);
    this.problems = problems;
    this.headers = headers;
  }

  /** The `errors` array of mParticle's error body. */
  details(): ErrorDetail[] {
    return this.problems.map((message) => ({ code: this.bodyCode, message }));
  }
}

/*
 * One abstract class per status, each defined error a subclass of its status's, so
 * `instanceof BadRequest` holds for every 400; only defined errors are thrown.
 */
export abstract class BadRequest extends QuantaError {}
export abstract class Unauthorized extends QuantaError {}
export abstract class Forbidden extends QuantaError {}
export abstract class NotFound extends QuantaError {}
export abstract class Conflict extends QuantaError {}
export abstract class Gone extends QuantaError {}
export abstract class PayloadTooLarge extends QuantaError {}
export abstract class UnsupportedMediaType extends QuantaError {}
export abstract class UnprocessableEntity extends QuantaError {}
export abstract class RateLimited extends QuantaError {}
export abstract class InternalError extends QuantaError {}
export abstract class ServiceUnavailable extends QuantaError {}

interface Kinds {
  400: BadRequest;
  401: Unauthorized;
  403: Forbidden;
  404: NotFound;
  409: Conflict;
  410: Gone;
  413: PayloadTooLarge;
  415: UnsupportedMediaType;
  422: UnprocessableEntity;
  429: RateLimited;
  500: InternalError;
  503: ServiceUnavailable;
}
const KINDS: { readonly [S in ErrorStatus]: abstract new (rendered: Rendered, headers?: ErrorHeaders) => Kinds[S] } = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  410: Gone,
  413: PayloadTooLarge,
  415: UnsupportedMediaType,
  422: UnprocessableEntity,
  429: RateLimited,
  500: InternalError,
  503: ServiceUnavailable,
};

export interface ErrorSpec<S extends ErrorStatus, A extends unknown[]> {
  readonly status: S;
  readonly message: (...args: A) => Rendered;
  /** The body's code word when it is not the status's (oauth's `UNSUPPORTED_GRANT_TYPE`). */
  readonly bodyCode?: string;
  readonly headers?: ErrorHeaders | ((...args: A) => ErrorHeaders);
}

/** A class {@link defineError} made: `new` it with the template's arguments. */
export interface DefinedError<S extends ErrorStatus, A extends unknown[]> extends RegisteredError {
  new (...args: A): Kinds[S];
  readonly prototype: Kinds[S];
  readonly status: S;
}

/** Registers an error code and returns its class; a code defined twice throws (at start-up). */
export function defineError<S extends ErrorStatus, A extends unknown[]>(code: ErrorCode, spec: ErrorSpec<S, A>): DefinedError<S, A> {
  const Kind = KINDS[spec.status] as unknown as new (rendered: Rendered, headers?: ErrorHeaders) => QuantaError;
  const { message, headers } = spec;
  const Defined = class extends Kind {
    constructor(...args: A) {
      super(message(...args), typeof headers === 'function' ? headers(...args) : headers);
    }
  };
  register(Defined, { code, status: spec.status, bodyCode: spec.bodyCode ?? BODY_CODES[spec.status] });
  return Defined as unknown as DefinedError<S, A>;
}

/** An error as plain data, for `postMessage` between threads (which would drop its class). */
export type WireError =
  | { readonly kind: 'quanta'; readonly code: string; readonly problems: readonly string[]; readonly headers: ErrorHeaders; readonly stack?: string }
  | { readonly kind: 'other'; readonly name: string; readonly message: string; readonly code?: string; readonly stack?: string };

export function encodeError(error: unknown): WireError {
  if (error instanceof QuantaError) {
    return { kind: 'quanta', code: error.code, problems: [...error.problems], headers: { ...error.headers }, ...stackOf(error) };
  }
  if (!(error instanceof Error)) return { kind: 'other', name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { kind: 'other', name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}), ...stackOf(error) };
}

/**
 * A registered error comes back as an instance of its class (this thread must have loaded the
 * module defining it); any other error as an `Error` with its name, message and `code`.
 */
export function decodeError(wire: WireError): Error {
  const type = wire.kind === 'quanta' ? registry.get(wire.code)?.type : undefined;
  let error: Error;
  if (wire.kind === 'quanta' && type) {
    // The template's arguments are gone: build it from what it rendered, with its class's prototype.
    error = Reflect.construct(QuantaError, [wire.problems, wire.headers], type) as QuantaError;
  } else {
    error = new Error(wire.kind === 'quanta' ? wire.problems.join('; ') : wire.message);
    if (wire.kind === 'other') error.name = wire.name;
    if (wire.code !== undefined) Object.assign(error, { code: wire.code });
  }
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

/** The codecs a thread's `Peer` takes (kernel/thread-rpc.mjs), so coded errors cross threads as themselves. */
export const CODED_ERRORS = { encodeError, decodeError } as const;

const stackOf = (error: Error) => (error.stack === undefined ? {} : { stack: error.stack });
