/** Errors of the Platform API v1 accounts, workspaces and user insights (mParticle's messages where its page gives them). */
import { defineError } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';

export const AccountNotFound = defineError('QUANTA_ACCOUNT_NOT_FOUND', {
  status: 404,
  message: (id: number) => `Account ${id} does not exist or you do not have access; GET /v1/accounts lists yours.`,
});

export const AccountNameMissing = defineError('QUANTA_ACCOUNT_NAME_MISSING', { status: 422, message: () => 'Account name must be specified.' });

export const AccountNameTaken = defineError('QUANTA_ACCOUNT_NAME_TAKEN', { status: 422, message: () => 'Account name is not unique.' });

export const AccountHasApps = defineError('QUANTA_ACCOUNT_HAS_APPS', { status: 422, message: () => 'All applications must be deleted before deleting account.' });

/** An account whose workspaces still take data (partner feeds, the bootstrap input) or send it (outputs). */
export const AccountInUse = defineError('QUANTA_ACCOUNT_IN_USE', {
  status: 422,
  message: (what: string) => `The account's workspaces still have ${what}; delete them before deleting the account.`,
});

export const WorkspaceNameMissing = defineError('QUANTA_WORKSPACE_NAME_MISSING', { status: 422, message: () => 'Workspace name must be specified.' });

export const WorkspaceNameTaken = defineError('QUANTA_WORKSPACE_NAME_TAKEN', { status: 422, message: () => 'Workspace name is not unique.' });

/** A User Insights report asked for an app or feed the workspace does not have, or for both. */
export const InsightsSubjectInvalid = defineError('QUANTA_INSIGHTS_SUBJECT_INVALID', {
  status: 404,
  message: (ws: WorkspaceId, what: string) => `${what} is not in workspace ${ws}; GET /v1/apps and GET /v1/workspace/${ws}/partnerfeeds list them.`,
});

export const InsightsSubjectAmbiguous = defineError('QUANTA_INSIGHTS_SUBJECT_AMBIGUOUS', {
  status: 422,
  message: () => 'Send either feedid or applicationid, not both.',
});
