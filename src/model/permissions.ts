/**
 * The vocabulary of who may call what (mParticle's API credentials and custom roles): the APIs a
 * credential is granted with a level each, the feature areas of roles' tasks, and what a route
 * needs. The rules that apply it are the access capability's (`access/permissions.ts`).
 */

/** The APIs an API client may be granted, as the credentials API names them. */
export const APIS = ['events', 'identity', 'profile', 'platform', 'data_planning', 'dsr', 'calculated_attributes'] as const;
export type ApiName = (typeof APIS)[number];

/** An API's level: `read_only` calls only its reading routes (GET, HEAD). */
export const LEVELS = ['read_only', 'admin'] as const;
export type Level = (typeof LEVELS)[number];

export interface Grant {
  readonly api: ApiName;
  readonly permission: Level;
}

/** A feature area of mParticle's custom roles: a task is `<area>:view`, `<area>:*` or `<area>:<sub-task>`. */
export const AREAS = [
  'user_activity',
  'catalog',
  'data_plans',
  'live_stream',
  'calculated_attributes',
  'rules',
  'audiences',
  'connections',
  'data_filter',
  'privacy',
  'workspaces',
  'user_management',
  'identity_settings',
  'api_credentials',
] as const;
export type Area = (typeof AREAS)[number];

/**
 * What a tenant route needs: an API client needs `api` (at `admin` to change anything), a user a
 * task of `area` (`<area>:*` to change anything, or `writeTask` where a narrower task allows it).
 */
export interface Permission {
  readonly api: ApiName;
  readonly area: Area;
  /** A task besides `<area>:*` that allows this route's writes (`connections:configure_outputs`). */
  readonly writeTask?: string;
  /** The route changes nothing whatever its method (a POST that reads, as the Profile API's). */
  readonly readOnly?: boolean;
}

/** Whether a call changes something: any method but GET and HEAD, unless its route only reads. */
export const writes = (method: string | readonly string[], permission: Permission) => !permission.readOnly && [method].flat().some((m) => m !== 'GET' && m !== 'HEAD');

/** What a caller holds: an API client's grants, or the tasks of a user's role. */
export type Rights = { readonly kind: 'grants'; readonly grants: readonly Grant[] } | { readonly kind: 'tasks'; readonly tasks: ReadonlySet<string> };

/** How a route's permission reads in the OpenAPI document and in a 403's message. */
export function describePermission(permission: Permission, write: boolean): string {
  const level = write ? 'admin' : 'read_only';
  const task = write ? [`${permission.area}:*`, ...(permission.writeTask ? [permission.writeTask] : [])].join(' or ') : `${permission.area}:view (or any ${permission.area} task)`;
  return `API clients: the ${permission.api} API at ${level}${write ? '' : ' or admin'}; users: a role with ${task}`;
}
