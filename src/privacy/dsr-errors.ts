/** Errors of the Data Subject Request API (OpenDSR v1, v2 and v3), with the messages mParticle's pages show. */
import { defineError, problemList } from '../kernel/errors.ts';
import { challenge } from '../platform/platform-errors.ts';

/** A request body that is not a valid DSR: every problem named ("Invalid data was detected"). */
export const DsrRequestInvalid = defineError('QUANTA_DSR_REQUEST_INVALID', { status: 400, message: problemList });

export const DsrMpidNotAlone = defineError('QUANTA_DSR_MPID_NOT_ALONE', {
  status: 400,
  message: () => 'If an mpid is provided, it must be the only identity in the request.',
});

export const DsrRequestExists = defineError('QUANTA_DSR_REQUEST_EXISTS', {
  status: 400,
  message: () => 'Subject request already exists.',
});

export const DsrRequestOpen = defineError('QUANTA_DSR_REQUEST_OPEN', {
  status: 409,
  message: (existing: string) => `There is an in-progress request with the same identities, extensions and type: ${existing}.`,
});

export const DsrCredentialsInvalid = defineError('QUANTA_DSR_CREDENTIALS_INVALID', {
  status: 401,
  message: () => "The credentials provided in the request are not valid. Send Basic auth with an input's API key and secret, or a Bearer token with the dsr API.",
  headers: challenge('Basic'),
});

/** A Bearer caller that may reach several workspaces and named none. */
export const DsrWorkspaceRequired = defineError('QUANTA_DSR_WORKSPACE_REQUIRED', {
  status: 400,
  message: (count: number) => `These credentials reach ${count} workspaces; name the one the request is for with ?workspace_id=.`,
});

export const DsrRequestIdInvalid = defineError('QUANTA_DSR_REQUEST_ID_INVALID', {
  status: 400,
  message: (id: string) => `The subject request id "${id}" is not a UUID.`,
});

export const DsrRequestNotFound = defineError('QUANTA_DSR_REQUEST_NOT_FOUND', {
  status: 404,
  message: () => 'The specified subject request id could not be found.',
});

export const DsrResultsNotFound = defineError('QUANTA_DSR_RESULTS_NOT_FOUND', {
  status: 404,
  message: (why: string) => why,
});

export const DsrResultsGone = defineError('QUANTA_DSR_RESULTS_GONE', {
  status: 410,
  message: () => 'The results of this request were downloadable for 7 days after it completed, and are gone. Submit a new request.',
});

export const DsrNotCancellable = defineError('QUANTA_DSR_NOT_CANCELLABLE', {
  status: 400,
  message: (status: string) => `Only a pending request can be cancelled; this one is ${status}.`,
});

export const DsrRateLimited = defineError('QUANTA_DSR_RATE_LIMITED', {
  status: 429,
  message: (retryAfterSeconds: number, limit: string) => `Too many requests have been submitted (${limit}); retry after ${retryAfterSeconds} s.`,
  headers: (retryAfterSeconds: number) => ({ 'retry-after': String(retryAfterSeconds) }),
});
