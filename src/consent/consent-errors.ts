/** Errors of the privacy settings Platform API (`/platform/v2/workspaces/{id}/privacy`). */
import { defineError, problemList } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';

/** A settings change Quanta cannot apply: every problem named by its field; nothing was changed. */
export const PrivacySettingsInvalid = defineError('QUANTA_CONSENT_SETTINGS_INVALID', { status: 400, message: problemList });

/** A purpose Quanta cannot add (no name, too long, CCPA's own): each problem named. */
export const PurposeInvalid = defineError('QUANTA_CONSENT_PURPOSE_INVALID', { status: 400, message: problemList });

export const PurposeExists = defineError('QUANTA_CONSENT_PURPOSE_EXISTS', {
  status: 409,
  message: (ws: WorkspaceId, purpose: string) => `Workspace ${ws} already has the GDPR purpose "${purpose}".`,
});

export const PurposeLimit = defineError('QUANTA_CONSENT_PURPOSE_LIMIT', {
  status: 400,
  message: (max: number) => `A workspace has at most ${max} GDPR purposes.`,
});

export const PurposeNotFound = defineError('QUANTA_CONSENT_PURPOSE_NOT_FOUND', {
  status: 404,
  message: (ws: WorkspaceId, purpose: string) => `Workspace ${ws} has no GDPR purpose "${purpose}".`,
});

/** mParticle's rule: "Once a purpose has been added it cannot be removed." */
export const PurposePermanent = defineError('QUANTA_CONSENT_PURPOSE_PERMANENT', {
  status: 409,
  message: (purpose: string) => `The GDPR purpose "${purpose}" cannot be removed: once a purpose has been added it is kept, so that the consent recorded for it keeps its meaning.`,
});
