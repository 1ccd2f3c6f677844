import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workspaceId } from '../../kernel/ids.ts';
import type { DataPlan, DataPlanVersion, PlanStore } from '../../planning/plan-store.ts';

const audit = { created_on: '2024-01-01T00:00:00.000Z', created_by: 'client_id:c' };
const version = (planId: string, n: number, extra: Partial<DataPlanVersion> = {}): DataPlanVersion => ({
  ...audit,
  data_plan_id: planId,
  version: n,
  activated_environment: 'none',
  version_document: {
    data_points: [
      {
        description: 'Signed up',
        match: { type: 'custom_event', criteria: { event_name: 'Sign Up', custom_event_type: 'other' } },
        validator: { type: 'json_schema', definition: { properties: { data: { type: 'object', properties: { n: { minimum: 0.5 } } } } } },
      },
    ],
  },
  ...extra,
});
const plan = (id: string, versions: DataPlanVersion[] = []): DataPlan => ({
  ...audit,
  data_plan_id: id,
  data_plan_name: `Plan ${id}`,
  data_plan_description: 'A plan',
  data_plan_versions: versions,
});

/** The plan store contract, run against every adapter. */
export function planStoreContract(name: string, open: (location: string) => Promise<PlanStore>, newLocation: () => string) {
  describe(`PlanStore contract: ${name}`, () => {
    let location: string;
    let store: PlanStore;
    const ws = workspaceId(1);
    const other = workspaceId(2);

    beforeEach(async () => {
      location = newLocation();
      store = await open(location);
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates a plan with its versions, per workspace, and keeps it across a reopen', async () => {
      const p = plan('web', [version('web', 2), version('web', 1)]);
      expect(await store.createPlan(ws, p)).toBe(true);
      expect(await store.createPlan(ws, plan('web'))).toBe(false);
      await store.close();
      store = await open(location);
      expect(await store.getPlan(ws, 'web')).toEqual({ ...p, data_plan_versions: [version('web', 1), version('web', 2)] });
      expect(await store.getPlan(other, 'web')).toBeUndefined();
      expect(await store.getPlan(ws, 'nope')).toBeUndefined();
      expect(await store.getVersion(ws, 'web', 2)).toEqual(version('web', 2));
      expect(await store.getVersion(other, 'web', 2)).toBeUndefined();
    });

    it('saves nothing of a plan whose versions repeat a number', async () => {
      await expect(store.createPlan(ws, plan('dup', [version('dup', 1), version('dup', 1)]))).rejects.toThrow();
      expect(await store.getPlan(ws, 'dup')).toBeUndefined();
      expect(await store.getVersion(ws, 'dup', 1)).toBeUndefined();
    });

    it('lists the plans of one workspace, by id, with their versions', async () => {
      await store.createPlan(ws, plan('b', [version('b', 1)]));
      await store.createPlan(ws, plan('a'));
      await store.createPlan(other, plan('c'));
      const list = await store.listPlans(ws);
      expect(list.map((p) => [p.data_plan_id, p.data_plan_versions.map((v) => v.version)])).toEqual([
        ['a', []],
        ['b', [1]],
      ]);
      expect(await store.listPlans(workspaceId(3))).toEqual([]);
    });

    it("updates a plan's own fields and leaves its versions alone", async () => {
      await store.createPlan(ws, plan('p', [version('p', 1)]));
      const { data_plan_versions: _v, ...header } = plan('p');
      const changed = { ...header, data_plan_name: 'Renamed', last_modified_on: '2024-02-01T00:00:00.000Z', last_modified_by: 'x' };
      expect(await store.updatePlan(ws, changed)).toBe(true);
      expect(await store.getPlan(ws, 'p')).toEqual({ ...changed, data_plan_versions: [version('p', 1)] });
      expect(await store.updatePlan(other, changed)).toBe(false);
      expect(await store.getPlan(other, 'p')).toBeUndefined();
    });

    it('creates, updates and deletes versions of existing plans only', async () => {
      await store.createPlan(ws, plan('p'));
      expect(await store.createVersion(ws, version('p', 1))).toBe('created');
      expect(await store.createVersion(ws, version('p', 1, { version_description: 'again' }))).toBe('exists');
      expect(await store.createVersion(ws, version('q', 1))).toBe('no-plan');
      expect(await store.createVersion(other, version('p', 1))).toBe('no-plan');
      expect(await store.getVersion(ws, 'p', 1)).toEqual(version('p', 1));

      const updated = version('p', 1, { activated_environment: 'production', version_document: { data_points: [] } });
      expect(await store.updateVersion(ws, updated)).toBe(true);
      expect(await store.updateVersion(ws, version('p', 9))).toBe(false);
      expect(await store.getVersion(ws, 'p', 9)).toBeUndefined();
      expect(await store.getVersion(ws, 'p', 1)).toEqual(updated);

      expect(await store.deleteVersion(ws, 'p', 1)).toBe(true);
      expect(await store.deleteVersion(ws, 'p', 1)).toBe(false);
      expect((await store.getPlan(ws, 'p'))?.data_plan_versions).toEqual([]);
    });

    it('deletes a plan with its versions, so the id can be reused', async () => {
      await store.createPlan(ws, plan('p', [version('p', 1)]));
      await store.createPlan(other, plan('p', [version('p', 1)]));
      expect(await store.deletePlan(ws, 'p')).toBe(true);
      expect(await store.deletePlan(ws, 'p')).toBe(false);
      expect(await store.getPlan(ws, 'p')).toBeUndefined();
      expect(await store.getVersion(ws, 'p', 1)).toBeUndefined();
      expect(await store.getPlan(other, 'p')).toBeDefined();
      expect(await store.createPlan(ws, plan('p'))).toBe(true);
      expect((await store.getPlan(ws, 'p'))?.data_plan_versions).toEqual([]);
    });

    it('bumps its revision with every write that changes a plan, and only then, as another connection sees it', async () => {
      const reader = await open(location);
      try {
        const seen = [await reader.revision()];
        const step = async (write: () => Promise<unknown>) => {
          await write();
          seen.push(await reader.revision());
        };
        await step(() => store.createPlan(ws, plan('p', [version('p', 1)])));
        await step(() => store.createPlan(ws, plan('p')));
        await step(() => store.updatePlan(ws, { ...plan('p'), data_plan_name: 'Renamed' }));
        await step(() => store.createVersion(ws, version('p', 2)));
        await step(() => store.createVersion(ws, version('p', 2)));
        await step(() => store.updateVersion(ws, version('p', 2, { activated_environment: 'production' })));
        await step(() => store.getPlan(ws, 'p'));
        await step(() => store.deleteVersion(ws, 'p', 2));
        await step(() => store.deleteVersion(ws, 'p', 2));
        await step(() => store.deletePlan(ws, 'p'));
        await step(() => store.deletePlan(ws, 'p'));
        const grew = seen.slice(1).map((r, i) => r > seen[i]!);
        // Writes that changed nothing (a taken id, an existing version, a missing one) and reads leave it as it was.
        expect(grew).toEqual([true, false, true, true, false, true, false, true, false, true, false]);
      } finally {
        await reader.close();
      }
    });
  });
}
