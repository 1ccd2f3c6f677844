import { ErrorCode, NatsError } from 'nats';
import { DeliveryFailed } from '../../connections/output.ts';

/**
 * What the server or the client refuses for good: trying again sends the same thing to the same
 * answer (credentials, permissions, a subject, a payload over the server's `max_payload`, options).
 */
const PERMANENT: ReadonlySet<string> = new Set([
  ErrorCode.AuthorizationViolation,
  ErrorCode.AuthenticationExpired,
  ErrorCode.AccountExpired,
  ErrorCode.BadAuthentication,
  ErrorCode.BadCreds,
  ErrorCode.PermissionsViolation,
  ErrorCode.BadSubject,
  ErrorCode.BadHeader,
  ErrorCode.BadPayload,
  ErrorCode.InvalidPayload,
  ErrorCode.MaxPayloadExceeded,
  ErrorCode.InvalidOption,
  ErrorCode.ServerOptionNotAvailable,
]);

/** JetStream's own error codes (`err_code`) that mean "fix the stream or the message", whatever their status. */
const JS_PERMANENT: ReadonlySet<number> = new Set([
  10054, // message size exceeds the stream's max_msg_size
  10060, // expected stream does not match (another stream takes the subject)
  10065, // the stream's subjects overlap another stream's
]);

/**
 * Classifies a failure of the `nats` client once, at the output's boundary: no responders (no
 * stream, or JetStream not up yet), a timeout, a lost or refused connection and JetStream's 5xx
 * answers are `retry`; what {@link PERMANENT} lists, JetStream's other 4xx answers and what
 * {@link JS_PERMANENT} lists are `permanent`. An error of another kind is `retry`: the retry
 * budget dead-letters it if it lasts.
 */
export function natsFailure(error: unknown, what: string): DeliveryFailed {
  if (error instanceof DeliveryFailed) return error;
  if (!(error instanceof NatsError)) return new DeliveryFailed(`${what}: ${error instanceof Error ? error.message : String(error)}`, 'retry');
  const api = error.jsError();
  if (api) {
    const retry = !JS_PERMANENT.has(api.err_code ?? 0) && (api.code === 408 || api.code === 429 || api.code >= 500);
    return new DeliveryFailed(`${what}: JetStream answered ${api.code} (${api.err_code ?? '-'}): ${api.description}`, retry ? 'retry' : 'permanent', undefined, api.code);
  }
  const reason = error.code === ErrorCode.NoResponders ? 'no responders (no JetStream stream takes the subject, or JetStream is not available)' : error.message;
  return new DeliveryFailed(`${what}: ${reason} [${error.code}]`, PERMANENT.has(error.code) ? 'permanent' : 'retry');
}
