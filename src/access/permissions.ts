/**
 * Who may do what: the tasks a custom role may hold, mParticle's built-in roles, and whether a
 * caller's rights allow what a route needs (the vocabulary is `model/permissions.ts`).
 */
import type { Area, Grant, Permission, Rights } from '../model/permissions.ts';

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

