/** Errors of authentication (input keys, HMAC, Bearer tokens), workspace access and rate limits. */
import { defineError } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';

/** The `WWW-Authenticate` challenge of a 401. */
export const challenge = (scheme: 'Basic' | 'Bearer' | 'Key') => ({ 'www-authenticate': `${scheme} realm="quanta"` });

const unauthorized = (scheme: 'Basic' | 'Bearer' | 'Key', message: string) => ({ status: 401, message: () => message, headers: challenge(scheme) }) as const;

export const PathKeyUnknown = defineError('QUANTA_AUTH_PATH_KEY_UNKNOWN', unauthorized('Key', 'The key in the path does not match any input.'));

export const BasicAuthMissing = defineError(
  'QUANTA_AUTH_BASIC_MISSING',
  unauthorized('Basic', "Missing Authorization header. Send Basic auth with the input's API key as user and its secret as password."),
);

export const BasicAuthMalformed = defineError(
  'QUANTA_AUTH_BASIC_MALFORMED',
  unauthorized('Basic', "The Authorization header is not Basic base64(key:secret). Use the input's API key and secret."),
);

export const CredentialsForbidden = defineError('QUANTA_AUTH_CREDENTIALS_FORBIDDEN', {
  status: 403,
  message: () => 'The API key and secret do not match any input. Check both in your Quanta start-up output.',
});

export const IdentityAuthMissing = defineError(
  'QUANTA_AUTH_IDENTITY_MISSING',
  unauthorized('Basic', 'Send Basic auth with the input key and secret, or x-mp-key with Date and x-mp-signature.'),
);

export const CredentialsInvalid = defineError('QUANTA_AUTH_CREDENTIALS_INVALID', unauthorized('Basic', 'The API key and secret do not match any input.'));

export const MpKeyUnknown = defineError('QUANTA_AUTH_MP_KEY_UNKNOWN', unauthorized('Basic', 'The x-mp-key does not match any input.'));

export const KeyOnlyRefused = defineError(
  'QUANTA_AUTH_KEY_ONLY_REFUSED',
  unauthorized('Basic', 'This input does not allow key-only auth: send Date and x-mp-signature (HMAC SHA-256) too.'),
);

export const HmacDateMissing = defineError('QUANTA_AUTH_HMAC_DATE_MISSING', unauthorized('Basic', 'HMAC auth needs the Date header that was signed.'));

export const HmacSignatureInvalid = defineError(
  'QUANTA_AUTH_HMAC_SIGNATURE_INVALID',
  unauthorized('Basic', 'x-mp-signature does not match: sign "METHOD\\nDATE\\nPATH+BODY" with HMAC SHA-256 and the input secret.'),
);

export const HmacDateInvalid = defineError('QUANTA_AUTH_HMAC_DATE_INVALID', {
  status: 401,
  message: (date: string) => `The Date header "${date}" is not a date; send the signing time in ISO 8601, e.g. 20260131T120000Z.`,
  headers: challenge('Basic'),
});

export const HmacDateSkewed = defineError('QUANTA_AUTH_HMAC_DATE_SKEWED', {
  status: 401,
  message: (date: string) => `The Date header "${date}" is more than 15 minutes from the server's time; sign each request with the current time.`,
  headers: challenge('Basic'),
});

export const RateLimitExceeded = defineError('QUANTA_INPUT_RATE_LIMITED', {
  status: 429,
  message: (retryAfterSeconds: number, limit: string) => `Rate limit exceeded for this ${limit}; retry after ${retryAfterSeconds} s with backoff.`,
  headers: (retryAfterSeconds: number, limit: string) => ({ 'retry-after': String(retryAfterSeconds), 'x-mp-rate-limit-exceeded': `"${limit}"` }),
});

/** A Platform API v1 call without `accountId` (mParticle answers it with a 401). */
export const AccountMissing = defineError('QUANTA_PLATFORM_ACCOUNT_MISSING', {
  status: 401,
  message: () => 'Send the accountId query parameter: the account of the workspace you call for.',
  headers: challenge('Bearer'),
});

/** A Platform API v1 call whose `accountId` is not the workspace's account. */
export const AccountForbidden = defineError('QUANTA_PLATFORM_ACCOUNT_FORBIDDEN', {
  status: 403,
  message: (ws: WorkspaceId, accountId: number) => `Account ${accountId} is not the account of workspace ${ws}.`,
});
