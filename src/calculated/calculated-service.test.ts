import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workspaceId } from '../kernel/ids.ts';
import { SqliteCalculatedStore } from '../storage/sqlite/sqlite-calculated-store.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { CalculatedService, progressOf } from './calculated-service.ts';
import type { Calculation } from './calculated-store.ts';

const NOW = Date.UTC(2026, 0, 10, 12);
const ws = workspaceId(1);
const actor = { by: 'client_id:svc' };
const draft = (calculation = 'count') => ({
  recipe_type: 'event',
  datapoint: { type: 'event', event_name: 'Play', event_type: 'custom_event', custom_event_type: 'media', attribute_name: 'title' },
  calculation_type: calculation,
  time_period: { type: 'within', within: 30, within_unit: 'days' },
});

let store: SqliteCalculatedStore;
let service: CalculatedService;
beforeEach(() => {
  store = new SqliteCalculatedStore(join(tempDir('ca-service'), 'state.sqlite'));
  service = new CalculatedService(store, { retentionDays: 365, maxActive: 2 }, () => new Date(NOW));
});
afterEach(async () => {
  await store.close();
});

describe('CalculatedService', () => {
  it('stamps writes with the clock and the caller', async () => {
    const id = await service.create(ws, { name: 'plays', draft_definition: draft() }, actor);
    await service.activate(ws, id, actor);
    expect(await service.get(ws, id)).toMatchObject({
      created_on: new Date(NOW).toISOString(),
      created_by: 'client_id:svc',
      activated_on: new Date(NOW).toISOString(),
      activated_by: 'client_id:svc',
    });
  });

  it('runs the writes of a workspace one at a time: concurrent activations keep to the limit', async () => {
    const ids = [];
    for (const name of ['a', 'b', 'c', 'd']) ids.push(await service.create(ws, { name, draft_definition: draft() }, actor));
    const outcomes = await Promise.allSettled(ids.map((id) => service.activate(ws, id, actor)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2);
    expect((await store.list(ws)).filter((a) => a.active_definition !== null)).toHaveLength(2);
  });

  it('never loses an activation to an update that read the attribute before it', async () => {
    const id = await service.create(ws, { name: 'raced', draft_definition: draft() }, actor);
    await Promise.all([service.activate(ws, id, actor), service.update(ws, id, { name: 'raced', draft_definition: draft('max') }, actor)]);
    const after = (await store.get(ws, id))!;
    expect(after.revision).toBe(1);
    expect(after.active_definition?.calculation_type).toBe('count');
    expect(after.draft_definition?.calculation_type).toBe('max');
  });

  it('answers the calculation of an active revision the processor has not started as 0%, not calculated', async () => {
    const id = await service.create(ws, { name: 'waiting', draft_definition: draft() }, actor);
    expect(await service.calculation(ws, id)).toEqual({
      id,
      name: 'waiting',
      revision_id: null,
      is_calculated: false,
      calculation_percent_complete: 0,
      estimated_completion_time: null,
    });
    await service.activate(ws, id, actor);
    expect(await service.calculation(ws, id)).toMatchObject({ revision_id: 1, is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });
  });

  it('keeps going after a refused write', async () => {
    await expect(service.create(ws, { name: '' }, actor)).rejects.toThrow(/Field 'name' is required/);
    await expect(service.create(ws, { name: 'fine', draft_definition: draft() }, actor)).resolves.toBeTypeOf('number');
  });
});

describe('progressOf', () => {
  const c = (over: Partial<Calculation>): Calculation => ({
    workspaceId: ws,
    id: 1,
    revision: 1,
    handover: {},
    status: 'calculating',
    usersDone: 0,
    usersTotal: null,
    cursor: null,
    startedAtMs: NOW - 10_000,
    completedAtMs: null,
    ...over,
  });

  it('is 0% with no estimate until there is progress to judge by', () => {
    expect(progressOf(undefined, NOW)).toEqual({ is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });
    expect(progressOf(c({}), NOW)).toEqual({ is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });
    expect(progressOf(c({ usersTotal: 0 }), NOW)).toEqual({ is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });
    expect(progressOf(c({ usersTotal: 10 }), NOW)).toEqual({ is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });
  });

  it('extrapolates the rate so far, and says 100% only once calculated', () => {
    // A quarter in 10 s: 30 s to go.
    expect(progressOf(c({ usersDone: 25, usersTotal: 100 }), NOW)).toEqual({
      is_calculated: false,
      calculation_percent_complete: 25,
      estimated_completion_time: new Date(NOW + 30_000).toISOString(),
    });
    expect(progressOf(c({ usersDone: 100, usersTotal: 100 }), NOW)).toMatchObject({ calculation_percent_complete: 99, estimated_completion_time: new Date(NOW).toISOString() });
    expect(progressOf(c({ usersDone: 120, usersTotal: 100 }), NOW).calculation_percent_complete).toBe(99);
    expect(progressOf(c({ status: 'calculated', usersDone: 100, usersTotal: 100, completedAtMs: NOW - 5 }), NOW)).toEqual({
      is_calculated: true,
      calculation_percent_complete: 100,
      estimated_completion_time: new Date(NOW - 5).toISOString(),
    });
  });
});
