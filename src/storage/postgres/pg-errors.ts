import pg from 'pg';

/** A failure of PostgreSQL or of the way to it, classified: `retry` may pass by itself, `permanent` needs someone to fix something. */
export interface PgFailure {
  readonly retry: 'retry' | 'permanent';
  readonly message: string;
  /** The SQLSTATE, when the server answered with one. */
  readonly sqlState?: string;
}

/**
 * SQLSTATEs (and classes, by their first two characters) that may pass by themselves: a broken
 * connection (08), a serialization failure or deadlock (40001, 40P01), the server out of
 * resources or connections (53), shutting down or starting (57P01-57P03), a statement or lock
 * timeout (57014, 55P03), a system error (58). Every other one is permanent: wrong credentials
 * (28), an unknown database (3D000), no privilege (42501), an invalid name (3F000, 42602), data
 * the server refuses (22, 23).
 */
const RETRY_STATES = new Set(['08', '40001', '40P01', '53', '57P01', '57P02', '57P03', '57014', '55P03', '58']);

/** Network errors on the way to the server: refused, reset, timed out, unreachable, or a name not (yet) resolved. */
const RETRY_NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);
/** What `pg` and `pg-pool` throw, without a code, when a connection fails or times out. */
const RETRY_CLIENT_MESSAGE = /^(Connection terminated|timeout expired|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/;

/** Whether a SQLSTATE may pass by itself: its own code or its class is in {@link RETRY_STATES}. */
export const isRetryableState = (state: string): boolean => RETRY_STATES.has(state) || RETRY_STATES.has(state.slice(0, 2));

const codeOf = (error: Error): string | undefined => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Classifies an error thrown by `pg`: the server's answer by its SQLSTATE, a network error by its
 * code, the client's own connection failures by their message. Undefined for anything else (a
 * bug, which its thrower should see as it is).
 *
 * @example
 * classifyPgError(error) // { retry: 'permanent', message: 'database "nope" does not exist (SQLSTATE 3D000)', sqlState: '3D000' }
 */
export function classifyPgError(error: unknown): PgFailure | undefined {
  if (error instanceof pg.DatabaseError && error.code !== undefined) {
    const retry = isRetryableState(error.code) ? 'retry' : 'permanent';
    return { retry, message: `${error.message} (SQLSTATE ${error.code})`, sqlState: error.code };
  }
  if (error instanceof AggregateError) {
    const failures = error.errors.map(classifyPgError);
    const first = failures.find((f) => f !== undefined);
    if (first) return { ...first, retry: failures.some((f) => f?.retry === 'retry') ? 'retry' : first.retry };
  }
  if (!(error instanceof Error)) return undefined;
  const code = codeOf(error);
  if (code !== undefined && RETRY_NETWORK.has(code)) return { retry: 'retry', message: error.message || code };
  if (RETRY_CLIENT_MESSAGE.test(error.message)) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return { retry: 'retry', message: `${error.message}${cause}` };
  }
  return undefined;
}
