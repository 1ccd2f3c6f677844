import type { AccessControl } from '../access/access-control.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import { type Permission, writes } from '../model/permissions.ts';
import { type InputDirectory, parseBasic, secretsEqual } from '../platform/credentials.ts';
import { DsrCredentialsInvalid, DsrWorkspaceRequired } from './dsr-errors.ts';

/** What a Bearer caller needs: an API client the `dsr` API, a user a role with a `privacy` task. */
export const DSR_PERMISSION: Permission = { api: 'dsr', area: 'privacy' };

/** What a DSR call's credentials are checked with. */
export interface DsrAuthRequest {
  readonly authorization: string | undefined;
  readonly method: string;
  /** `?workspace_id=`, which a Bearer caller may send. */
  readonly workspaceId: string | undefined;
}

/**
 * The workspace a DSR call is for, from its credentials, as mParticle scopes DSRs to one
 * workspace:
 *
 * - Basic with an input's key and secret (mParticle's way): the input's workspace.
 * - A Bearer token (`/oauth/token`) of an API client granted the `dsr` API, or of a user whose
 *   role has a `privacy` task: the workspace `?workspace_id=` names, which must be in the
 *   caller's scope (403 otherwise); without it, the only workspace the caller reaches in its
 *   account (a 400 asks for `workspace_id` when there are several).
 *
 * Missing or wrong credentials are a 401, as the DSR API documents.
 */
export function dsrAuthenticator(inputs: InputDirectory, access: AccessControl) {
  return function authenticate(request: DsrAuthRequest): WorkspaceId {
    const header = request.authorization;
    if (header && /^Bearer\s/i.test(header)) {
      const params = request.workspaceId === undefined ? {} : { workspaceId: request.workspaceId };
      const caller = access.authorize({ authorization: header, params, write: writes(request.method, DSR_PERMISSION) }, DSR_PERMISSION);
      if (request.workspaceId !== undefined) return caller.workspaceId;
      if (caller.workspaces.length !== 1) throw new DsrWorkspaceRequired(caller.workspaces.length);
      return caller.workspaces[0]!;
    }
    const creds = parseBasic(header);
    const input = creds && inputs.byApiKey(creds.user);
    if (!creds || !input || !secretsEqual(input.apiSecret, creds.password)) throw new DsrCredentialsInvalid();
    return input.workspaceId;
  };
}

export type DsrAuthenticator = ReturnType<typeof dsrAuthenticator>;
