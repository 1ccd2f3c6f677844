import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inputId, parseMpid, workspaceId } from '../kernel/ids.ts';
import type { Batch } from '../model/batch.ts';
import { type LogRecord, withText } from '../model/envelope.ts';
import { ValidationWorker } from './validation-worker.ts';
import { PlanRegistry } from './plan-registry.ts';
import type { VersionDocument } from './plan-store.ts';
import { SqlitePlanStore } from '../storage/sqlite/sqlite-plan-store.ts';
import { SqliteQualityStore } from '../storage/sqlite/sqlite-quality-store.ts';
import { batchOf, CASES, PLAN, screen, search } from '../../test/fixtures/data-plan.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { dataPlanStage } from './data-plan.stage.ts';
import { type LiveMessage, LiveStreamHub } from '../livestream/live-stream.ts';

const ws = workspaceId(1);
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(file = join(tempDir('dp'), 'state.sqlite')) {
  const plans = new SqlitePlanStore(file);
  const quality = new SqliteQualityStore(file);
  closers.push(() => quality.close(), () => plans.close());
  const audit = { created_on: '2026-01-01T00:00:00Z', created_by: 'test' };
  await plans.createPlan(ws, {
    ...audit,
    data_plan_id: 'p',
    data_plan_name: 'P',
    data_plan_versions: [{ ...audit, data_plan_id: 'p', version: 1, activated_environment: 'production', version_document: PLAN as VersionDocument }],
  });
  return { file, plans, quality, registry: new PlanRegistry(plans) };
}

const record = (offset: number, batch: Batch, partition = 0): LogRecord => ({
  workspaceId: ws,
  inputId: inputId(1),
  mpid: parseMpid('42')!,
  receivedAtMs: 1_000 + offset,
  channel: 'server_to_server',
  historical: false,
  ip: null,
  batch,
  dedupKey: null,
  partition,
  offset,
});
const planned = (batch: Batch): Batch => ({ ...batch, context: { data_plan: { plan_id: 'p', plan_version: 1 } } });
const withUnplanned = () => planned(batchOf([search({ query: 'q', category: 'toys' }), screen('Nowhere')]));

describe('data-plan stage', () => {
  it('passes batches without a plan, or naming a plan with no enforceable version, untouched', async () => {
    const { registry, quality } = await setup();
    const stage = dataPlanStage({ plans: registry, store: quality });
    const bare = record(1, batchOf([screen('Nowhere')]));
    expect(await stage.run(bare)).toEqual({ kind: 'ok', record: bare });
    const unknown = record(2, { ...batchOf([screen('Nowhere')]), context: { data_plan: { plan_id: 'p', plan_version: 7 } } });
    expect(await stage.run(unknown)).toEqual({ kind: 'ok', record: unknown });
  });

  it('counts each record once across a crash between flush and commit', async () => {
    const first = await setup();
    const stage = dataPlanStage({ plans: first.registry, store: first.quality });
    await stage.recover!(0, 0);
    for (let o = 1; o <= 3; o++) await stage.run(record(o, withUnplanned()));
    await stage.flush!();
    // The processor died before committing offset 3: a new stage re-runs from offset 0.
    const again = dataPlanStage({ plans: first.registry, store: first.quality });
    await again.recover!(0, 0);
    for (let o = 1; o <= 4; o++) {
      const outcome = await again.run(record(o, withUnplanned()));
      // Re-run records are still changed the same way: the blocked event is gone.
      expect(outcome.kind === 'ok' && outcome.record.batch.events.map((e) => e.event_type)).toEqual(['custom_event']);
    }
    await again.flush!();
    const counts = await first.quality.violations(ws, 'p', 1);
    expect(counts.map((c) => [c.subject, c.violationType, c.key, c.count])).toEqual([
      ['custom_event:search:Search', 'invalid_value', 'category', 4],
      ['screen_view::Nowhere', 'unplanned', 'Nowhere', 4],
    ]);
    expect(await first.quality.countBlocked(ws, { planId: 'p' })).toBe(4);
  });

  it('keeps what it could not flush and writes it on the next flush', async () => {
    const { registry, quality, file } = await setup();
    let failing = true;
    const flaky = new (class extends SqliteQualityStore {
      override record(f: Parameters<SqliteQualityStore['record']>[0]) {
        return failing ? Promise.reject(new Error('disk full')) : super.record(f);
      }
    })(file);
    closers.push(() => flaky.close());
    const stage = dataPlanStage({ plans: registry, store: flaky });
    await stage.run(record(1, withUnplanned()));
    await expect(stage.flush!()).rejects.toThrow('disk full');
    await stage.run(record(2, withUnplanned()));
    failing = false;
    await stage.flush!();
    expect((await quality.violations(ws, 'p')).map((c) => c.count)).toEqual([2, 2]);
    expect(await quality.countBlocked(ws, { planId: 'p' })).toBe(2);
  });

  it('shows blocked data on the live stream, and only to matching watchers', async () => {
    const { registry, quality } = await setup();
    const hub = new LiveStreamHub();
    const seen: LiveMessage[] = [];
    const other: LiveMessage[] = [];
    hub.subscribe({ workspaceId: ws }, (m) => seen.push(m));
    hub.subscribe({ workspaceId: ws, environment: 'production' }, (m) => other.push(m));
    const stage = dataPlanStage({ plans: registry, store: quality, hub });
    await stage.run(record(1, withUnplanned()));
    expect(seen).toHaveLength(1);
    expect(other).toHaveLength(0);
    const message = seen[0]!;
    expect(message.kind === 'blocked' && message.blocked.quarantined.context?.data_plan).toMatchObject({
      plan_id: 'p',
      block_metadata: { blocked_event_ids: [expect.any(String)] },
    });
  });

  it('sees a new plan version as soon as the registry is told of it', async () => {
    const { registry, quality, plans } = await setup();
    const stage = dataPlanStage({ plans: registry, store: quality });
    const batch = { ...batchOf([screen('Nowhere')]), context: { data_plan: { plan_id: 'p' } } };
    let outcome = await stage.run(record(1, batch));
    expect(outcome.kind === 'ok' && outcome.record.batch.events).toHaveLength(0);
    const v1 = (await plans.getVersion(ws, 'p', 1))!;
    const doc = { ...v1.version_document, data_points: [...v1.version_document.data_points, { match: { type: 'screen_view' as const, criteria: { screen_name: 'Nowhere' } }, validator: { type: 'json_schema' as const, definition: {} } }] };
    await plans.createVersion(ws, { ...v1, version: 2, version_document: doc });
    registry.changed(ws, 'p');
    outcome = await stage.run(record(2, batch));
    expect(outcome.kind === 'ok' && outcome.record.batch.events).toHaveLength(1);
  });
});

describe('data-plan stage with a validation worker', () => {
  it('validates a prepared chunk on the worker thread exactly as in place', async () => {
    const { registry, quality } = await setup();
    const worker = new ValidationWorker();
    closers.push(() => worker.close());
    const inPlace = dataPlanStage({ plans: registry, store: quality });
    const threaded = dataPlanStage({ plans: registry, store: quality, validationWorker: () => worker });
    const otherVersion = { ...withUnplanned(), context: { data_plan: { plan_id: 'p', plan_version: 7 } } };
    const batches = [...Object.values(CASES).map(planned), otherVersion, withUnplanned(), batchOf([screen('Nowhere')]), planned(batchOf([screen('Home')]))];
    const records = batches.map((b, i) => {
      const r = { ...record(100 + i, b), ip: '10.0.0.1' };
      return withText(r, JSON.stringify(r));
    });
    const found = vi.spyOn(worker, 'findings');
    await threaded.prepare!(records);
    expect(found).toHaveBeenCalledTimes(1);
    for (const r of records) expect(await threaded.run(r)).toEqual(await inPlace.run(r));
    // A text the worker cannot read leaves that record to be validated in place; the worker carries on.
    const unreadable = withText(record(200, withUnplanned()), 'not json');
    await threaded.prepare!([unreadable, records[0]!]);
    expect(worker.usable).toBe(true);
    expect(await threaded.run(unreadable)).toEqual(await inPlace.run(unreadable));
  });

  it('leaves compiling to the worker, and passes batches naming a version that does not compile untouched', async () => {
    const { registry, quality, plans } = await setup();
    const broken = { data_points: [{ match: { type: 'session_start' }, validator: { type: 'json_schema', definition: { type: 'nonsense' } } }] };
    const audit = { created_on: '2026-01-01T00:00:00Z', created_by: 'test' };
    await plans.createVersion(ws, { ...audit, data_plan_id: 'p', version: 2, activated_environment: 'none', version_document: broken as VersionDocument });
    // The plans the stage is given count how often the event loop asks for compiled schemas.
    let compiledOnLoop = 0;
    const counting = Object.create(registry) as PlanRegistry;
    counting.choose = async (...args) => {
      const plan = await registry.choose(...args);
      if (!plan) return undefined;
      const { planId, version, stored, actions } = plan;
      return {
        planId,
        version,
        stored,
        actions,
        get compiled() {
          compiledOnLoop++;
          return plan.compiled;
        },
      };
    };
    const worker = new ValidationWorker();
    closers.push(() => worker.close());
    const threaded = dataPlanStage({ plans: counting, store: quality, validationWorker: () => worker });
    const inPlace = dataPlanStage({ plans: registry, store: quality });
    const logged = (r: LogRecord) => withText(r, JSON.stringify(r));
    const good = [withUnplanned(), planned(batchOf([screen('Home')]))].map((b, i) => logged(record(10 + i, b)));
    const badRecord = logged(record(20, { ...withUnplanned(), context: { data_plan: { plan_id: 'p', plan_version: 2 } } }));
    await threaded.prepare!([...good, badRecord]);
    for (const r of good) expect(await threaded.run(r)).toEqual(await inPlace.run(r));
    expect(compiledOnLoop).toBe(0);
    expect(await threaded.run(badRecord)).toEqual({ kind: 'ok', record: badRecord });
    expect(compiledOnLoop).toBe(1);
  });

  it('validates in place a chunk the worker was not given', async () => {
    const { registry, quality } = await setup();
    const threaded = dataPlanStage({ plans: registry, store: quality, validationWorker: () => new ValidationWorker() });
    const outcome = await threaded.run(record(1, withUnplanned()));
    expect(outcome.kind === 'ok' && outcome.record.batch.events.map((e) => e.violations?.length ?? 0)).toEqual([1]);
    await threaded.close!();
  });
});
