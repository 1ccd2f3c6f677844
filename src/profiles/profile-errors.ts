/** Errors of the Profile API. */
import { defineError, problemList } from '../kernel/errors.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';

export const FieldsMissing = defineError('QUANTA_PROFILE_FIELDS_MISSING', {
  status: 400,
  message: (fields: readonly string[]) => `The fields query parameter is required: a comma-separated list of ${fields.join(', ')}.`,
});

export const FieldsUnknown = defineError('QUANTA_PROFILE_FIELDS_UNKNOWN', {
  status: 400,
  message: (unknown: readonly string[], fields: readonly string[]) => `Unknown fields ${unknown.join(', ')}; use ${fields.join(', ')}.`,
});

export const ProfileNotFound = defineError('QUANTA_PROFILE_NOT_FOUND', {
  status: 404,
  message: (mpid: Mpid, ws: WorkspaceId) => `No user profile has mpid ${mpid} in workspace ${ws}.`,
});

/** A resolve request without its environment or identity: every problem named. */
export const ResolveRequestInvalid = defineError('QUANTA_PROFILE_RESOLVE_INVALID', { status: 400, message: problemList });

export const IdentityNotImmutable = defineError('QUANTA_PROFILE_IDENTITY_NOT_IMMUTABLE', {
  status: 400,
  message: (typeName: string, immutable: readonly string[]) => `"${typeName}" is not an immutable identity of this workspace; use ${immutable.join(', ')}.`,
});

export const IdentityHasNoProfile = defineError('QUANTA_PROFILE_IDENTITY_NOT_FOUND', {
  status: 404,
  message: (type: string, value: string) => `No user profile has ${type} "${value}".`,
});
