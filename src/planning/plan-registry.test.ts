import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workspaceId } from '../kernel/ids.ts';
import { SqlitePlanStore } from '../storage/sqlite/sqlite-plan-store.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { activeIn, PlanRegistry } from './plan-registry.ts';
import { PlanService } from './plan-service.ts';
import type { ActivatedEnvironment, DataPlanVersion } from './plan-store.ts';

const ws = workspaceId(1);
const audit = { created_on: '2026-01-01T00:00:00Z', created_by: 'test' };
const doc = { data_points: [{ match: { type: 'session_start' as const }, validator: { type: 'json_schema' as const, definition: {} } }] };
const version = (n: number, activated: ActivatedEnvironment, document: unknown = doc): DataPlanVersion =>
  ({ ...audit, data_plan_id: 'p', version: n, activated_environment: activated, version_document: document }) as DataPlanVersion;

let store: SqlitePlanStore | undefined;
let file = '';
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function registryWith(versions: DataPlanVersion[], onBad?: (id: string, v: number) => void) {
  file = join(tempDir('registry'), 'state.sqlite');
  store = new SqlitePlanStore(file);
  await store.createPlan(ws, { ...audit, data_plan_id: 'p', data_plan_name: 'P', data_plan_versions: versions });
  return new PlanRegistry(store, onBad);
}

describe('PlanRegistry', () => {
  it('production versions apply everywhere, development versions to development data only', () => {
    expect(activeIn('production', 'production')).toBe(true);
    expect(activeIn('production', 'development')).toBe(true);
    expect(activeIn('development', 'development')).toBe(true);
    expect(activeIn('development', 'production')).toBe(false);
    expect(activeIn('none', 'development')).toBe(false);
  });

  it('uses a pinned version as is, else the latest version active in the environment', async () => {
    const registry = await registryWith([version(1, 'production'), version(2, 'development'), version(3, 'none')]);
    expect((await registry.resolve(ws, 'p', 3, 'production'))?.version).toBe(3);
    expect((await registry.resolve(ws, 'p', undefined, 'development'))?.version).toBe(2);
    expect((await registry.resolve(ws, 'p', undefined, 'production'))?.version).toBe(1);
    expect(await registry.resolve(ws, 'p', 9, 'production')).toBeUndefined();
    expect(await registry.resolve(ws, 'nope', undefined, 'production')).toBeUndefined();
    expect((await registry.active(ws)).map((a) => [a.planId, a.version])).toEqual([['p', 2]]);
    expect(await registry.versions(ws, 'p')).toEqual([1, 2, 3]);
  });

  it('forgets a plan written through the Data Planning API\'s service', async () => {
    const registry = await registryWith([version(1, 'production')]);
    const service = new PlanService(store!, (w, planId) => registry.changed(w, planId));
    const actor = { by: 'client_id:c' };
    expect(await registry.exists(ws, 'p', 2)).toBe(false);
    await service.createVersion(ws, 'p', { version: 2, activated_environment: 'production', version_document: doc }, actor);
    expect(await registry.exists(ws, 'p', 2)).toBe(true);
    expect((await registry.resolve(ws, 'p', undefined, 'production'))?.version).toBe(2);
    await service.delete(ws, 'p');
    expect(await registry.exists(ws, 'p', undefined)).toBe(false);
  });

  it('sees what another connection wrote once refreshed, and keeps its cache while nothing changed', async () => {
    const registry = await registryWith([version(1, 'production')]);
    await registry.refresh();
    const chosen = await registry.choose(ws, 'p', undefined, 'production');
    // Another thread's or process's connection to the same file.
    const elsewhere = new SqlitePlanStore(file);
    try {
      await elsewhere.createVersion(ws, version(2, 'production'));
      expect(await registry.exists(ws, 'p', 2)).toBe(false);
      await registry.refresh();
      expect(await registry.exists(ws, 'p', 2)).toBe(true);
      expect((await registry.choose(ws, 'p', undefined, 'production'))?.version).toBe(2);
      await registry.refresh();
      expect(await registry.choose(ws, 'p', 1, 'production')).not.toBe(chosen);
      const again = await registry.choose(ws, 'p', 1, 'production');
      await registry.refresh();
      expect(await registry.choose(ws, 'p', 1, 'production')).toBe(again);
    } finally {
      await elsewhere.close();
    }
  });

  it('reports a stored version that no longer compiles once, and does not enforce it', async () => {
    const bad: [string, number][] = [];
    const registry = await registryWith(
      [version(1, 'production', { data_points: [{ match: { type: 'session_start' }, validator: { type: 'json_schema', definition: { type: 'nonsense' } } }] })],
      (id, v) => bad.push([id, v]),
    );
    expect(await registry.resolve(ws, 'p', 1, 'production')).toBeUndefined();
    expect(await registry.resolve(ws, 'p', undefined, 'production')).toBeUndefined();
    expect(await registry.active(ws)).toEqual([]);
    expect(bad).toEqual([['p', 1]]);
  });

  it('chooses a version without compiling it: its schemas compile on first use of `compiled`, once', async () => {
    const bad: [string, number][] = [];
    const broken = { settings: { validation_actions: { event: 'drop_event' } }, data_points: [{ match: { type: 'session_start' }, validator: { type: 'json_schema', definition: { type: 'nonsense' } } }] };
    const registry = await registryWith([version(1, 'production', broken)], (id, v) => bad.push([id, v]));
    const chosen = await registry.choose(ws, 'p', undefined, 'production');
    expect(chosen?.version).toBe(1);
    expect(chosen?.actions.event).toBe('drop_event');
    expect(bad).toEqual([]);
    expect(chosen?.compiled).toBeUndefined();
    expect(chosen?.compiled).toBeUndefined();
    expect(bad).toEqual([['p', 1]]);
    const good = await registryWith([version(1, 'production')]);
    const plan = await good.choose(ws, 'p', 1, 'production');
    expect(plan?.compiled).toBe(plan?.compiled);
    expect(plan?.compiled?.events.has('session_start')).toBe(true);
    expect(await good.resolve(ws, 'p', 1, 'production')).toBe(plan);
  });
});
