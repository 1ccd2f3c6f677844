import { describe, expect, it } from 'vitest';
import { allows, BUILT_IN_ROLES, grantsCover, TASK_IDS } from './permissions.ts';
import { type Permission } from '../model/permissions.ts';

const tasksOf = (roleId: string) => ({ kind: 'tasks' as const, tasks: new Set(BUILT_IN_ROLES.find((r) => r.role_id === roleId)!.tasks.map((t) => t.task_id)) });
const audiences: Permission = { api: 'platform', area: 'audiences' };
const outputs: Permission = { api: 'platform', area: 'connections', writeTask: 'connections:configure_outputs' };

describe('permissions', () => {
  it('gives an API client reads at read_only and writes only at admin, per API', () => {
    const rights = { kind: 'grants' as const, grants: [{ api: 'platform' as const, permission: 'read_only' as const }] };
    expect(allows(rights, audiences, false)).toBe(true);
    expect(allows(rights, audiences, true)).toBe(false);
    expect(allows(rights, { api: 'profile', area: 'user_activity' }, false)).toBe(false);
  });

  it("follows the standard roles' tasks", () => {
    expect(allows(tasksOf('read-only-role'), audiences, false)).toBe(true);
    expect(allows(tasksOf('read-only-role'), audiences, true)).toBe(false);
    expect(allows(tasksOf('user-role'), outputs, true)).toBe(true);
    expect(allows(tasksOf('compliance-role'), outputs, true)).toBe(false);
    expect(allows(tasksOf('audiences-only-role'), { api: 'data_planning', area: 'data_plans' }, false)).toBe(false);
    // Every role may view the catalog and workspaces, only some may annotate.
    expect(allows(tasksOf('audiences-only-role'), { api: 'platform', area: 'catalog' }, false)).toBe(true);
    expect(allows(tasksOf('audiences-only-role'), { api: 'platform', area: 'catalog' }, true)).toBe(false);
    expect(allows(tasksOf('support-role'), { api: 'platform', area: 'user_management' }, true)).toBe(false);
    expect(allows(tasksOf('admin-role'), { api: 'platform', area: 'user_management' }, true)).toBe(true);
  });

  it('knows every task its built-in roles hold', () => {
    for (const role of BUILT_IN_ROLES) for (const t of role.tasks) expect(TASK_IDS.has(t.task_id), t.task_id).toBe(true);
  });

  it('lets credentials grant no more than they hold', () => {
    const held = [{ api: 'platform' as const, permission: 'read_only' as const }];
    expect(grantsCover(held, [{ api: 'platform', permission: 'read_only' }])).toBe(true);
    expect(grantsCover(held, [{ api: 'platform', permission: 'admin' }])).toBe(false);
    expect(grantsCover(held, [{ api: 'dsr', permission: 'read_only' }])).toBe(false);
  });
});
