/** Errors of the Bearer-token APIs' callers: tokens, API clients, users, roles, and what they may reach. */
import { defineError, problemList } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import { challenge } from '../platform/platform-errors.ts';

const unauthorized = (message: string) => ({ status: 401, message: () => message, headers: challenge('Bearer') }) as const;

export const TokenRequestInvalid = defineError('QUANTA_AUTH_TOKEN_REQUEST_INVALID', { status: 400, message: problemList });

export const GrantTypeUnsupported = defineError('QUANTA_AUTH_GRANT_TYPE_UNSUPPORTED', {
  status: 400,
  bodyCode: 'UNSUPPORTED_GRANT_TYPE',
  message: () => 'grant_type must be "client_credentials" (API clients) or "password" (users).',
});

export const ClientCredentialsInvalid = defineError('QUANTA_AUTH_CLIENT_INVALID', unauthorized('Unknown client_id, wrong client_secret, or deactivated credentials.'));

export const UserCredentialsInvalid = defineError('QUANTA_AUTH_USER_INVALID', unauthorized('Unknown user or wrong password.'));

export const TokenMissing = defineError('QUANTA_AUTH_TOKEN_MISSING', unauthorized('Missing Bearer token. Get one from POST /oauth/token.'));

export const TokenInvalid = defineError(
  'QUANTA_AUTH_TOKEN_INVALID',
  unauthorized('The Bearer token is unknown or expired, or its credentials were revoked, rotated or deactivated. Get a new one from POST /oauth/token.'),
);

export const WorkspaceForbidden = defineError('QUANTA_AUTH_WORKSPACE_FORBIDDEN', {
  status: 403,
  message: (ws: WorkspaceId) => `Workspace ${ws} does not exist or is outside these credentials' scope.`,
});

export const AccountOutOfScope = defineError('QUANTA_AUTH_ACCOUNT_FORBIDDEN', {
  status: 403,
  message: (accountId: number) => `Account ${accountId} does not exist or is outside these credentials' scope.`,
});

/** A tenant route whose org or account is not its workspace's (the Profile API's paths name all three). */
export const TenantMismatch = defineError('QUANTA_AUTH_TENANT_MISMATCH', {
  status: 403,
  message: (ws: WorkspaceId, orgId: number, accountId: number) => `Workspace ${ws} is not in org ${orgId} and account ${accountId}.`,
});

export const PermissionDenied = defineError('QUANTA_AUTH_PERMISSION_DENIED', {
  status: 403,
  message: (needed: string) => `These credentials may not call this route. It needs ${needed}.`,
});

export const CredentialInvalid = defineError('QUANTA_CREDENTIAL_INVALID', { status: 400, message: problemList });

export const CredentialNotFound = defineError('QUANTA_CREDENTIAL_NOT_FOUND', {
  status: 404,
  message: (id: string, accountId: number) => `No API credential ${id} in account ${accountId}.`,
});

export const CredentialEscalation = defineError('QUANTA_CREDENTIAL_ESCALATION', {
  status: 403,
  message: (what: string) => `Credentials may grant only what the caller holds itself: ${what}.`,
});

export const UserInvalid = defineError('QUANTA_USER_INVALID', { status: 400, message: problemList });

export const UserNotFound = defineError('QUANTA_USER_NOT_FOUND', {
  status: 404,
  message: (id: string, accountId: number) => `No user ${id} in account ${accountId}.`,
});

export const UserExists = defineError('QUANTA_USER_EXISTS', {
  status: 409,
  message: (email: string) => `A user with email ${email} already exists; update it with PUT, or delete it first.`,
});

export const RoleManifestInvalid = defineError('QUANTA_ROLES_INVALID', { status: 400, message: problemList });
