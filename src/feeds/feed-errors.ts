/** Errors of the Platform API v1 partner feeds. */
import { defineError, problemList } from '../kernel/errors.ts';

/** A feed the API cannot store: every problem named by its field. */
export const FeedInvalid = defineError('QUANTA_FEED_INVALID', { status: 400, message: problemList });

export const FeedNotFound = defineError('QUANTA_FEED_NOT_FOUND', {
  status: 404,
  message: (id: number, where: string) => `Partner feed ${id} was not found in ${where}; GET /v1/workspace/{workspaceId}/partnerfeeds lists them.`,
});

export const FeedModuleNotFound = defineError('QUANTA_FEED_MODULE_NOT_FOUND', {
  status: 404,
  message: (name: string, known: readonly string[]) => `There is no feed module "${name}"; the modules are ${known.join(', ')}.`,
});
