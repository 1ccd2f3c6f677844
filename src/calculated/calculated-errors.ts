/** Errors of the Calculated Attributes Platform API v2. */
import { defineError, problem, problemList } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';

export const CalculatedAttributeNotFound = defineError('QUANTA_CA_NOT_FOUND', {
  status: 404,
  message: (ws: WorkspaceId, id: number) => `Calculated attribute ${id} was not found in workspace ${ws}.`,
});

/**
 * A calculated attribute the API cannot store (create or update): every problem named, with the
 * Platform API's validation messages ("Field 'name' is required.", "Field 'name' must be unique.",
 * "Invalid calculation type", ...).
 */
export const CalculatedAttributeInvalid = defineError('QUANTA_CA_INVALID', { status: 400, message: problemList });

/** Activation of an attribute without a draft, or whose draft is no longer valid (its problems follow). */
export const CalculatedAttributeNoDraft = defineError('QUANTA_CA_NO_DRAFT', {
  status: 400,
  message: (problems: readonly string[] = []) => ['No draft definition was found to activate.', ...problems].map(problem),
});

export const CalculatedAttributeLimit = defineError('QUANTA_CA_ACTIVE_LIMIT', {
  status: 400,
  message: () => 'You have reached the account limit on active calculated attributes.',
});
