import { afterEach, describe, expect, it } from 'vitest';
import type { Mpid } from '../../kernel/ids.ts';
import type { Batch } from '../../model/batch.ts';
import { applyRules, type OpenRule } from './apply-rules.ts';
import type { FailureAction } from './rule-definition.ts';
import { RuleRunner } from './rule-runner.ts';
import { RuleStats } from './rule-stats.ts';

const batchOf = (): Batch => ({
  events: [{ event_type: 'custom_event', data: { event_name: 'Signup', custom_event_type: 'other' } }],
  environment: 'production',
  mpid: '42' as Mpid,
  user_identities: {},
  user_attributes: { tier: 'gold' },
});

const opened: OpenRule[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((r) => r.runner.close()));
});
async function rule(body: string, failureAction: FailureAction = 'proceed'): Promise<OpenRule> {
  const code = `exports.handler = (batch, context, callback) => { ${body} };`;
  const open = { definition: { name: body, code, failure_action: failureAction, timeout_ms: 200, scope: 'connection' as const }, runner: await RuleRunner.open({ code, timeoutMs: 200 }), stats: new RuleStats() };
  opened.push(open);
  return open;
}

describe('applyRules', () => {
  it('runs each rule on the batch the one before answered, and records each run', async () => {
    const rename = await rule('batch.events[0].data.event_name = "subscribe"; callback(null, batch);');
    const tag = await rule('batch.user_attributes.seen = batch.events[0].data.event_name; callback(null, batch);');
    const input = batchOf();
    const out = await applyRules(input, [rename, tag], {});
    expect(out?.events[0]!.data.event_name).toBe('subscribe');
    expect(out?.user_attributes).toEqual({ tier: 'gold', seen: 'subscribe' });
    expect(input).toEqual(batchOf());
    expect([rename.stats.snapshot().runs, tag.stats.snapshot().runs]).toEqual([1, 1]);
  });

  it('drops the batch when a rule answers null, without running the rules after it', async () => {
    const drop = await rule('callback(null, batch.user_attributes.tier === "gold" ? null : batch);');
    const after = await rule('callback(null, batch);');
    expect(await applyRules(batchOf(), [drop, after], {})).toBeNull();
    expect(drop.stats.snapshot()).toMatchObject({ runs: 1, dropped: 1 });
    expect(after.stats.snapshot().runs).toBe(0);
  });

  it('hands on the batch a failing rule was given when its failure action is proceed', async () => {
    const tag = await rule('batch.user_attributes.tagged = true; callback(null, batch);');
    const broken = await rule('batch.user_attributes.half = true; batch.events[5].data.x = 1; callback(null, batch);', 'proceed');
    const out = await applyRules(batchOf(), [tag, broken], {});
    expect(out?.user_attributes).toEqual({ tier: 'gold', tagged: true });
    expect(broken.stats.snapshot()).toMatchObject({ errors: 1, last_errors: [{ message: expect.stringContaining('TypeError') }] });
  });

  it('drops the batch when a failing rule’s failure action is discard', async () => {
    const slow = await rule('for (;;) {}', 'discard');
    const after = await rule('callback(null, batch);');
    expect(await applyRules(batchOf(), [slow, after], {})).toBeNull();
    expect(slow.stats.snapshot()).toMatchObject({ runs: 1, timeouts: 1 });
    expect(after.stats.snapshot().runs).toBe(0);
  });

  it('hands the batch on as it is when there are no rules', async () => {
    const input = batchOf();
    expect(await applyRules(input, [], {})).toBe(input);
  });
});
