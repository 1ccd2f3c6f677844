/**
 * Who may do what: the APIs an API client is granted (with a level each), the tasks a user's role
 * holds (mParticle's custom roles tasks), and what each tenant route needs of either.
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

/** A task of the custom roles API's task list (`GET .../tasks`). */
export interface Task {
  readonly task_id: string;
  readonly display_name: string;
  readonly description: string;
}

const task = (task_id: string, display_name: string, description: string): Task => ({ task_id, display_name, description });

/** Every task a custom role may hold, as mParticle's permissions reference lists them. */
export const TASKS: readonly Task[] = [
  task('user:core', 'Log in', 'Log in and view the dashboard; every role holds it.'),
  task('user_activity:view', 'User Activity View', "Search for any user and view their details, attributes and audience membership (the Profile API)."),
  task('catalog:*', 'Data Master Catalog', 'View the catalog and annotate data points.'),
  task('data_plans:view', 'Data Plans (view)', 'View existing data plans.'),
  task('data_plans:*', 'Data Plans', 'View, create, edit, activate and delete data plans.'),
  task('live_stream:view', 'Live Stream', 'View the Live Stream and examine individual events.'),
  task('calculated_attributes:view', 'Calculated Attributes (view)', 'View calculated attributes.'),
  task('calculated_attributes:*', 'Calculated Attributes', 'View, create and delete calculated attributes.'),
  task('rules:view', 'Rules (view)', 'View all rules.'),
  task('rules:*', 'Rules', 'View, create, edit and delete rules.'),
  task('audiences:view', 'Audiences (view)', 'View all audiences and the audience estimator.'),
  task('audiences:*', 'Audiences', 'View, create, activate and delete audiences.'),
  task('connections:connect_integration', 'Connect integration', 'Create a connection between an input and an output.'),
  task('connections:configure_inputs', 'Configure inputs', 'Configure an input (apps, app platforms, partner feeds).'),
  task('connections:configure_outputs', 'Configure outputs', 'Configure an output.'),
  task('connections:*', 'Connections', 'Create, delete and activate or deactivate connections between inputs and outputs.'),
  task('data_filter:view', 'Filters (view)', 'View current data filters.'),
  task('data_filter:*', 'Filters', 'View and create filters.'),
  task('privacy:settings', 'Privacy (view)', 'View enabled privacy settings.'),
  task('privacy:*', 'Privacy', 'View and modify privacy settings and data subject requests.'),
  task('workspaces:*', 'Workspaces', 'View, create and delete workspaces.'),
  task('user_management:view', 'User Management (view)', 'View users with access to your account.'),
  task('user_management:*', 'User Management', 'View, create, delete and assign roles to users; manage custom roles.'),
  task('identity_settings:*', 'Identity Strategy Settings', 'View and modify your identity settings.'),
  task('api_credentials:*', 'API Credentials', 'View, create, delete and assign API credentials.'),
];
export const TASK_IDS: ReadonlySet<string> = new Set(TASKS.map((t) => t.task_id));

/** A role: built in or from an organisation's custom role manifest. */
export interface Role {
  readonly role_id: string;
  readonly name: string;
  readonly description: string;
  readonly tasks: readonly { readonly task_id: string }[];
}

const role = (role_id: string, name: string, description: string, tasks: string[]): Role => ({
  role_id,
  name,
  description,
  tasks: ['user:core', ...tasks].map((task_id) => ({ task_id })),
});
const USER_TASKS = ['audiences:*', 'calculated_attributes:*', 'connections:configure_inputs', 'connections:configure_outputs', 'connections:connect_integration', 'data_filter:*', 'data_plans:*', 'live_stream:view', 'rules:*', 'workspaces:*'];
const ADMIN_TASKS = [...USER_TASKS, 'api_credentials:*', 'catalog:*', 'identity_settings:*', 'user_activity:view', 'user_management:*'];

/** mParticle's standard roles, as its role templates give their tasks. */
export const BUILT_IN_ROLES: readonly Role[] = [
  role('admin-role', 'Admin', 'Provides necessary permissions for admin users', ADMIN_TASKS),
  role('user-role', 'User', 'Provides common permissions needed for general users', USER_TASKS),
  role('read-only-role', 'Read Only', 'Provides read only access to mParticle features', [
    'audiences:view', 'calculated_attributes:view', 'data_filter:view', 'data_plans:view', 'identity_settings:*', 'live_stream:view', 'rules:view', 'workspaces:*',
  ]),
  role('audiences-only-role', 'Audiences Only', 'Provides Audiences-only access', ['audiences:*']),
  role('compliance-role', 'Compliance', 'Provides necessary permissions for compliance users', [
    'audiences:view', 'connections:connect_integration', 'data_filter:view', 'data_plans:view', 'identity_settings:*', 'live_stream:view', 'privacy:*', 'rules:view', 'user_management:view', 'workspaces:*',
  ]),
  role('admin-compliance-role', 'Admin & Compliance', 'Provides necessary permissions for admin and compliance users', [...ADMIN_TASKS, 'privacy:*']),
  role('support-role', 'Support', 'Provides necessary access for technical support', [...ADMIN_TASKS.filter((t) => t !== 'user_management:*'), 'privacy:settings']),
];

/** What every role may view whatever its tasks: the catalog and the workspaces (mParticle's default permissions). */
const VIEWABLE_BY_ALL: ReadonlySet<Area> = new Set(['catalog', 'workspaces']);

/** What a caller holds: an API client's grants, or the tasks of a user's role. */
export type Rights = { readonly kind: 'grants'; readonly grants: readonly Grant[] } | { readonly kind: 'tasks'; readonly tasks: ReadonlySet<string> };

/** Whether `rights` allow a route needing `permission`, to read (GET, HEAD) or to change something. */
export function allows(rights: Rights, permission: Permission, write: boolean): boolean {
  if (rights.kind === 'grants') {
    const grant = rights.grants.find((g) => g.api === permission.api);
    return grant !== undefined && (!write || grant.permission === 'admin');
  }
  const { area } = permission;
  if (rights.tasks.has(`${area}:*`)) return true;
  if (write) return permission.writeTask !== undefined && rights.tasks.has(permission.writeTask);
  return VIEWABLE_BY_ALL.has(area) || [...rights.tasks].some((t) => t.startsWith(`${area}:`));
}

/** Whether `held` covers each of `wanted` (an API client may grant only what it holds itself). */
export function grantsCover(held: readonly Grant[], wanted: readonly Grant[]): boolean {
  return wanted.every((w) => allows({ kind: 'grants', grants: held }, { api: w.api, area: 'api_credentials' }, w.permission === 'admin'));
}

/** How a route's permission reads in the OpenAPI document and in a 403's message. */
export function describePermission(permission: Permission, write: boolean): string {
  const level = write ? 'admin' : 'read_only';
  const task = write ? [`${permission.area}:*`, ...(permission.writeTask ? [permission.writeTask] : [])].join(' or ') : `${permission.area}:view (or any ${permission.area} task)`;
  return `API clients: the ${permission.api} API at ${level}${write ? '' : ' or admin'}; users: a role with ${task}`;
}
