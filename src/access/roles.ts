import { problem, type ErrorDetail } from '../kernel/errors.ts';
import { RoleManifestInvalid } from './access-errors.ts';
import type { AccessStore } from './access-store.ts';
import { BUILT_IN_ROLES, type Role, TASK_IDS, TASKS, type Task } from './permissions.ts';

/** The custom role manifest as the custom roles API answers it. */
export interface ManifestView {
  roles: Role[];
  last_modified_on: string | null;
  last_modified_by: string | null;
}

/** mParticle's limits on a manifest. */
export const ROLE_LIMITS = { roles: 100, roleId: 64, name: 64, description: 256 } as const;

/** `2022-06-28 18:24:49`, as the custom roles API writes times. */
const timeOf = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * An organisation's custom roles (mParticle's Custom Access Roles API): one manifest, replaced as
 * a whole; a role is a list of tasks (`user:core` always among them). Users hold a role by id.
 */
export class RoleService {
  constructor(
    private readonly store: AccessStore,
    private readonly now: () => number = Date.now,
  ) {}

  tasks(): readonly Task[] {
    return TASKS;
  }

  manifest(orgId: number): ManifestView {
    const m = this.store.roleManifest(orgId);
    return { roles: [...m.roles], last_modified_on: m.lastModifiedMs === null ? null : timeOf(m.lastModifiedMs), last_modified_by: m.lastModifiedBy };
  }

  /** Replaces the manifest; nothing changes when any role is invalid or a removed role is still assigned. */
  replace(orgId: number, body: unknown, by: string): ManifestView {
    const roles = this.parse(body);
    const kept = new Set(roles.map((r) => r.role_id));
    const problems = this.store
      .roleManifest(orgId)
      .roles.filter((r) => !kept.has(r.role_id) && this.store.usersWithRole(orgId, r.role_id).length > 0)
      .map((r) => problem(`Removed a custom role with active user membership: "${r.role_id}" is assigned to a user; assign them another role first.`));
    if (problems.length > 0) throw new RoleManifestInvalid(problems);
    this.store.saveRoleManifest(orgId, { roles, lastModifiedMs: this.now(), lastModifiedBy: by });
    return this.manifest(orgId);
  }

  private parse(body: unknown): Role[] {
    const list = (body as { roles?: unknown } | null)?.roles;
    if (typeof body !== 'object' || body === null || !Array.isArray(list)) throw new RoleManifestInvalid([problem('The manifest must be {"roles": [...]}.')]);
    const problems: ErrorDetail[] = [];
    if (list.length > ROLE_LIMITS.roles) problems.push(problem(`A manifest holds at most ${ROLE_LIMITS.roles} custom roles; this one has ${list.length}.`));
    const seen = new Set<string>();
    const roles = list.map((raw: unknown, i): Role => {
      const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const at = `roles[${i}]`;
      const id = limited(r.role_id, `${at}.role_id`, ROLE_LIMITS.roleId, true, problems);
      if (id && !/^[A-Za-z0-9_.-]+$/.test(id)) problems.push(problem(`${at}.role_id "${id}" has restricted characters: use letters, digits, ".", "_" and "-".`));
      if (id && BUILT_IN_ROLES.some((b) => b.role_id === id)) problems.push(problem(`${at}.role_id "${id}" is a built-in role's id; choose another.`));
      if (id && seen.has(id)) problems.push(problem(`${at}.role_id "${id}" appears twice.`));
      if (id) seen.add(id);
      const name = limited(r.name, `${at}.name`, ROLE_LIMITS.name, true, problems);
      const description = limited(r.description, `${at}.description`, ROLE_LIMITS.description, false, problems);
      const tasks = Array.isArray(r.tasks) ? r.tasks.map((t: unknown) => (t as { task_id?: unknown } | null)?.task_id) : [];
      if (!Array.isArray(r.tasks)) problems.push(problem(`${at}.tasks must be a list of {"task_id"}.`));
      const unknown = tasks.filter((t) => typeof t !== 'string' || !TASK_IDS.has(t));
      if (unknown.length > 0) problems.push(problem(`Tasks not found in ${at}: ${unknown.map(String).join(', ')}. GET .../tasks lists them.`));
      const ids = ['user:core', ...(tasks as string[]).filter((t) => t !== 'user:core')];
      return { role_id: id ?? '', name: name ?? '', description: description ?? '', tasks: [...new Set(ids)].map((task_id) => ({ task_id })) };
    });
    if (problems.length > 0) throw new RoleManifestInvalid(problems);
    return roles;
  }
}

function limited(value: unknown, field: string, max: number, required: boolean, problems: ErrorDetail[]): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push(problem(`${field} is empty: it is required.`));
    return undefined;
  }
  if (value.length > max) problems.push(problem(`${field} has too many characters: at most ${max}.`));
  return value;
}
