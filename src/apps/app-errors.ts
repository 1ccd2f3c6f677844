/** Errors of the Platform API v1 apps, app platforms, their services, data points and filters (mParticle's messages where its page gives them). */
import { defineError, problemList } from '../kernel/errors.ts';

export const AppNotFound = defineError('QUANTA_APP_NOT_FOUND', {
  status: 404,
  message: (id: number) => `App ${id} does not exist or you do not have access; GET /v1/apps lists the account's apps.`,
});

/** `POST /v1/apps/{id}` (create a platform) for an app the account does not have: mParticle's message. */
export const PlatformAppNotFound = defineError('QUANTA_APP_PLATFORM_APP_NOT_FOUND', {
  status: 404,
  message: () => 'Could not create platform: App does not exist or you do not have access.',
});

export const AppPlatformNotFound = defineError('QUANTA_APP_PLATFORM_NOT_FOUND', {
  status: 404,
  message: (appId: number, os: string) => `App ${appId} has no platform "${os}"; GET /v1/apps/${appId}/platforms lists its platforms.`,
});

/** mParticle's two spellings: creating says "not specified", updating "must be specified". */
export const AppNameMissing = defineError('QUANTA_APP_NAME_MISSING', {
  status: 422,
  message: (update: boolean) => (update ? 'App name must be specified.' : 'App name not specified.'),
});

export const AppNameTaken = defineError('QUANTA_APP_NAME_TAKEN', { status: 422, message: () => 'App name already exists.' });

export const AppLimitExceeded = defineError('QUANTA_APP_LIMIT_EXCEEDED', { status: 422, message: () => 'Exceeded app limit.' });

export const AppPlatformsMissing = defineError('QUANTA_APP_PLATFORMS_MISSING', { status: 422, message: () => 'App must have at least one platform selected.' });

// mParticle's page lists "Invalid as specified." for apps and "Invalid os specified." for platforms: one error, its clear spelling.
export const AppOsInvalid = defineError('QUANTA_APP_OS_INVALID', { status: 422, message: () => 'Invalid os specified.' });

export const AppPlatformExists = defineError('QUANTA_APP_PLATFORM_EXISTS', { status: 422, message: () => 'Platform already exists for the specified App.' });

export const AppHasPlatforms = defineError('QUANTA_APP_HAS_PLATFORMS', { status: 422, message: () => 'Deleting an app that has active platforms is not allowed.' });

/** An app platform's input would take a name another input of the workspace has (input names are unique there). */
export const AppInputNameTaken = defineError('QUANTA_APP_INPUT_NAME_TAKEN', {
  status: 422,
  message: (name: string) => `The workspace already has an input named "${name}"; give the app another name.`,
});

/** An app platform's settings the API cannot store: each problem named by its field. */
export const AppPlatformInvalid = defineError('QUANTA_APP_PLATFORM_INVALID', { status: 422, message: problemList });

/** `PUT .../services`: the body's problems, mParticle's message first where its page has one. */
export const PlatformServiceInvalid = defineError('QUANTA_APP_SERVICE_INVALID', { status: 422, message: problemList });

/** A service (output kind) no connection of the app's platforms sends to, named in a filter path. */
export const AppServiceNotConfigured = defineError('QUANTA_APP_SERVICE_NOT_CONFIGURED', {
  status: 404,
  message: (appId: number, service: string) =>
    `No platform of app ${appId} sends to ${service}; configure it first with PUT /v1/apps/${appId}/platforms/{os}/services.`,
});

export const AppServiceUnknown = defineError('QUANTA_APP_SERVICE_UNKNOWN', {
  status: 404,
  message: (service: string) => `Specified service not found: there is no service "${service}" (GET /v1/services lists them).`,
});

/** Data points or data point filters the API cannot take: each problem named by its place in the body. */
export const DataPointsInvalid = defineError('QUANTA_APP_DATAPOINTS_INVALID', { status: 422, message: problemList });

/** `POST /v1/apps?workspaceId=` naming a workspace that is not one of the account's the caller may use. */
export const AppWorkspaceNotFound = defineError('QUANTA_APP_WORKSPACE_NOT_FOUND', {
  status: 404,
  message: (ws: number, accountId: number) => `Workspace ${ws} is not a workspace of account ${accountId} you may use; GET /v1/workspace?accountId=${accountId} lists them.`,
});
