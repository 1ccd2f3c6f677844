import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inputId, parseMpid, workspaceId } from '../kernel/ids.ts';
import type { Batch, BatchEvent } from '../model/batch.ts';
import type { ValidationError } from './data-plan.ts';
import type { LogRecord } from '../model/envelope.ts';
import { BuiltInPlans } from './built-in-plans.ts';
import { PlanRegistry } from './plan-registry.ts';
import type { VersionDocument } from './plan-store.ts';
import { SqlitePlanStore } from '../storage/sqlite/sqlite-plan-store.ts';
import { SqliteQualityStore } from '../storage/sqlite/sqlite-quality-store.ts';
import { batchOf, PLAN, screen, search } from '../../test/fixtures/data-plan.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { dataPlanStage } from './data-plan.stage.ts';
import { type LiveMessage, LiveStreamHub } from '../pipeline/live-stream.ts';

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

  it("checks a plan-less batch against its input's built-in plan, reporting and blocking nothing whatever the plan's actions", async () => {
    const { registry, quality } = await setup();
    const builtIn = new BuiltInPlans();
    builtIn.add((_ws, input) => (input === inputId(1) ? 'p' : undefined));
    const hub = new LiveStreamHub();
    const blocked: LiveMessage[] = [];
    hub.subscribe({ workspaceId: ws }, (m) => blocked.push(m));
    const stage = dataPlanStage({ plans: registry, store: quality, hub, builtIn });
    // PLAN drops unplanned events and attributes: as a built-in plan it only tags them.
    const batch = batchOf([search({ query: 'q', category: 'toys', extra: 1 }), screen('Nowhere')], { user_attributes: { age: 30, hobby: 'chess' } });
    const outcome = await stage.run(record(1, batch));
    expect(outcome.kind).toBe('ok');
    const kept = outcome.kind === 'ok' ? outcome.record.batch : undefined;
    const tags = (e: BatchEvent) => (e.violations as ValidationError[] | undefined)?.map((v) => `${v.validation_error_type} ${v.key}`);
    expect(kept?.events.map(tags)).toEqual([
      ['unplanned extra', 'invalid_value category'],
      ['unplanned Nowhere'],
    ]);
    expect(kept?.user_attributes).toEqual({ age: 30, hobby: 'chess' });
    expect(blocked).toEqual([]);
    const other = { ...record(2, batch), inputId: inputId(2) };
    expect(await stage.run(other)).toEqual({ kind: 'ok', record: other });
    const named = record(3, { ...batch, context: { data_plan: { plan_id: 'nope' } } });
    expect(await stage.run(named)).toEqual({ kind: 'ok', record: named });
    await stage.flush!();
    expect((await quality.violations(ws, 'p', 1)).map((c) => [c.subject, c.violationType, c.key, c.count])).toEqual([
      ['custom_event:search:Search', 'invalid_value', 'category', 1],
      ['custom_event:search:Search', 'unplanned', 'extra', 1],
      ['screen_view::Nowhere', 'unplanned', 'Nowhere', 1],
      ['user_attributes', 'unplanned', 'hobby', 1],
    ]);
    expect(await quality.countBlocked(ws, { planId: 'p' })).toBe(0);
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
