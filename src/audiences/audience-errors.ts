/** Errors of the Audiences Platform API (Quanta's v2, and mParticle's documented v1 calls). */
import { defineError, problemList } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';

export const AudienceNotFound = defineError('QUANTA_AUDIENCE_NOT_FOUND', {
  status: 404,
  message: (ws: WorkspaceId, id: number) => `Audience ${id} was not found in workspace ${ws}.`,
});

/**
 * An audience the API cannot store (create or update): every problem named, the fields' in the
 * Platform API's words ("Field 'name' is required.", "Field 'name' must be unique."), the
 * definition's by their path in the tree (`definition.and[1].event.count.value: ...`).
 */
export const AudienceInvalid = defineError('QUANTA_AUDIENCE_INVALID', { status: 400, message: problemList });

/** A delete of an audience that others name in their definitions: they would lose a criterion. */
export const AudienceInUse = defineError('QUANTA_AUDIENCE_IN_USE', {
  status: 409,
  message: (ws: WorkspaceId, id: number, namedBy: readonly number[]) =>
    `Audience ${id} is named in the definition of audience${namedBy.length > 1 ? 's' : ''} ${namedBy.join(', ')} of workspace ${ws}; change or delete ${namedBy.length > 1 ? 'them' : 'it'} first.`,
});

/** `GET .../members?after=`: the MPID to page after is not one. */
export const AudienceMembersAfterInvalid = defineError('QUANTA_AUDIENCE_AFTER_INVALID', {
  status: 400,
  message: (after: string) => `Query parameter after must be an MPID (a signed 64-bit integer, not 0), as next_after gives it; not "${after}".`,
});


