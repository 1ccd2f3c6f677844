/** Errors of the Identity API (IDSync), aliasing and explained identities. */
import { defineError, problemList } from '../kernel/errors.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';

export const MpidInvalid = defineError('QUANTA_IDENTITY_MPID_INVALID', {
  status: 400,
  message: (text: string) => `"${text}" is not an mpid (a signed 64-bit integer).`,
});

/** A body that does not match the Identity API's request schema: every problem named. */
export const IdentityRequestInvalid = defineError('QUANTA_IDENTITY_REQUEST_INVALID', { status: 400, message: problemList });

/** Identity types the Identity API does not know, each named. */
export const IdentityTypeUnknown = defineError('QUANTA_IDENTITY_TYPE_UNKNOWN', { status: 400, message: problemList });

export const KnownIdentitiesEmpty = defineError('QUANTA_IDENTITY_KNOWN_EMPTY', {
  status: 400,
  message: () => 'known_identities must contain at least one identity.',
});

export const MpidUnknown = defineError('QUANTA_IDENTITY_MPID_UNKNOWN', {
  status: 404,
  message: (mpid: Mpid, ws?: WorkspaceId) => `No user has mpid ${mpid}${ws === undefined ? '' : ` in workspace ${ws}`}.`,
});

export const NoMatchingUser = defineError('QUANTA_IDENTITY_NO_MATCH', {
  status: 404,
  message: () => 'No user matches these identities.',
});

export const AliasingUnavailable = defineError('QUANTA_IDENTITY_ALIAS_UNAVAILABLE', {
  status: 403,
  message: (strategy: string) => `Aliasing is not available with the ${strategy} identity strategy (only default, profile conversion and profile link).`,
});

/** An alias request the aliasing rules refuse: every problem named. */
export const AliasInvalid = defineError('QUANTA_IDENTITY_ALIAS_INVALID', { status: 400, message: problemList });

export const AliasBodyInvalid = defineError('QUANTA_IDENTITY_ALIAS_BODY_INVALID', {
  status: 400,
  message: () => 'The request body must be a JSON alias request.',
});

export const AliasKeyMismatch = defineError('QUANTA_IDENTITY_ALIAS_KEY_MISMATCH', {
  status: 400,
  message: () => 'api_key in the body differs from the key in the path.',
});
