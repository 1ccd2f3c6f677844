import { afterEach, describe, expect, it } from 'vitest';
import type { Mpid } from '../../kernel/ids.ts';
import type { Batch } from '../../model/batch.ts';
import { RuleLoadError, type RuleResult, RuleRunner } from './rule-runner.ts';

const batchOf = (): Batch => ({
  events: [
    { event_type: 'custom_event', data: { event_name: 'legacy_name1', custom_event_type: 'other', custom_attributes: { timing: 1500 } } },
    { event_type: 'screen_view', data: { screen_name: 'Home' } },
  ],
  environment: 'production',
  mpid: '8161477578297016565' as Mpid,
  user_identities: { email: 'ann@example.com' },
  user_attributes: { $firstname: 'Ann', $lastname: 'Lee' },
});

const runners: RuleRunner[] = [];
afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.close()));
});
async function open(code: string, timeoutMs = 200, memoryLimitMb?: number): Promise<RuleRunner> {
  const runner = await RuleRunner.open({ code, timeoutMs, ...(memoryLimitMb ? { memoryLimitMb } : {}) });
  runners.push(runner);
  return runner;
}
const batchOfResult = (result: RuleResult): Batch => {
  expect(result.kind, JSON.stringify(result)).toBe('ok');
  if (result.kind !== 'ok') throw new Error('not ok');
  return result.batch;
};
const COUNTER = 'let n = 0; exports.handler = (batch, context, callback) => { batch.user_attributes.n = ++n; callback(null, batch); };';

describe('RuleRunner', () => {
  it('runs the guide’s callback handler on a copy of the batch', async () => {
    const runner = await open(`exports.handler = (batch, context, callback) => {
      const mappings = { legacy_name1: 'new_name1' };
      batch.events.forEach((e) => { if (mappings[e.data.event_name]) e.data.event_name = mappings[e.data.event_name]; });
      batch.user_attributes.name = batch.user_attributes.$firstname + ' ' + batch.user_attributes.$lastname;
      callback(null, batch);
    };`);
    const input = batchOf();
    const out = batchOfResult(await runner.run(input, {}));
    expect(out.events[0]!.data.event_name).toBe('new_name1');
    expect(out.user_attributes.name).toBe('Ann Lee');
    expect(out.mpid).toBe('8161477578297016565');
    expect(input).toEqual(batchOf());
  });

  it('runs code in sloppy mode, as a Lambda module, and keeps its globals from batch to batch', async () => {
    const runner = await open(`exports.handler = (batch, context, callback) => {
      newEvents = [];
      batch.events.forEach((item) => { if (item.event_type === 'custom_event') newEvents.push(item); });
      batch.events = newEvents;
      callback(null, batch);
    };`);
    expect(batchOfResult(await runner.run(batchOf(), {})).events.map((e) => e.event_type)).toEqual(['custom_event']);
    const counter = await open(COUNTER);
    await counter.run(batchOf(), {});
    expect(batchOfResult(await counter.run(batchOf(), {})).user_attributes.n).toBe(2);
  });

  it('drops the batch when the handler answers null', async () => {
    const runner = await open('exports.handler = (batch, context, callback) => callback(null, batch.user_attributes.$firstname === "Ann" ? null : batch);');
    expect(await runner.run(batchOf(), {})).toEqual({ kind: 'dropped' });
  });

  it('takes an async handler’s value, and a callback called after the handler returned', async () => {
    const asyncRule = await open('exports.handler = async (batch) => { await null; batch.user_attributes.async = true; return batch; };');
    expect(batchOfResult(await asyncRule.run(batchOf(), {})).user_attributes.async).toBe(true);
    const later = await open('module.exports = { handler(batch, context, callback) { Promise.resolve().then(() => callback(null, { ...batch, events: [] })); } };');
    expect(batchOfResult(await later.run(batchOf(), {})).events).toEqual([]);
  });

  it('gives the handler the context, as JSON', async () => {
    const runner = await open('exports.handler = (batch, context, callback) => { batch.user_attributes.ctx = context; callback(null, batch); };');
    expect(batchOfResult(await runner.run(batchOf(), { connection: 'c1' })).user_attributes.ctx).toEqual({ connection: 'c1' });
  });

  it('answers a thrown error, callback(error) and a missing answer as failures that say why', async () => {
    const thrower = await open('exports.handler = (batch, context, callback) => {\n  const x = null;\n  return x.product_action;\n};');
    expect(await thrower.run(batchOf(), {})).toEqual({ kind: 'failed', reason: 'error', message: "TypeError: Cannot read properties of null (reading 'product_action') (line 3)" });
    const errback = await open('exports.handler = (batch, context, callback) => callback(new RangeError("no country"));');
    expect(await errback.run(batchOf(), {})).toMatchObject({ reason: 'error', message: 'RangeError: no country (line 1)' });
    const swapped = await open('exports.handler = (batch, context, callback) => callback(batch);');
    expect(await swapped.run(batchOf(), {})).toMatchObject({ reason: 'error', message: "callback's first argument is the error: answer callback(null, batch)" });
    const silent = await open('exports.handler = (batch) => batch;');
    expect(await silent.run(batchOf(), {})).toMatchObject({ reason: 'error', message: expect.stringContaining('returned without calling callback') });
    const stuck = await open('exports.handler = () => new Promise(() => {});');
    expect(await stuck.run(batchOf(), {})).toMatchObject({ reason: 'error', message: expect.stringContaining('promise that never settles') });
  });

  it('refuses an answer that is not a batch object with an events array of objects', async () => {
    const answering = async (answer: string) => (await open(`exports.handler = (batch, context, callback) => callback(null, ${answer});`)).run(batchOf(), {});
    expect(await answering('"ok"')).toMatchObject({ reason: 'error', message: 'the handler gave a string, not a batch object' });
    expect(await answering('[batch]')).toMatchObject({ reason: 'error', message: 'the handler gave an array, not a batch object' });
    expect(await answering('undefined')).toMatchObject({ reason: 'error', message: expect.stringContaining('gave no batch') });
    expect(await answering('{ ...batch, events: "none" }')).toMatchObject({ message: 'the handler gave a batch whose events is a string, not an array' });
    expect(await answering('{ ...batch, events: [batch.events[0], null] }')).toMatchObject({ message: expect.stringContaining('events[1] is null') });
    expect(await answering('(() => { const b = { ...batch }; b.self = b; return b; })()')).toMatchObject({ message: expect.stringContaining('not JSON') });
  });

  it('keeps the batch’s mpid and batch_id whatever the rule does', async () => {
    const runner = await open('exports.handler = (batch, context, callback) => { batch.mpid = 1; batch.batch_id = 2; callback(null, batch); };');
    const out = batchOfResult(await runner.run({ ...batchOf(), batch_id: 77 }, {}));
    expect(out.mpid).toBe('8161477578297016565');
    expect(out.batch_id).toBe(77);
  });

  it('gives the rule no require, no Node globals, no timers and no network', async () => {
    const names = ['require', 'process', 'Buffer', 'global', 'setTimeout', 'setInterval', 'setImmediate', 'fetch', 'XMLHttpRequest', 'WebSocket', '__dirname'];
    const runner = await open(`exports.handler = (batch, context, callback) => {
      batch.user_attributes.types = ${JSON.stringify(names)}.map((n) => typeof globalThis[n]);
      callback(null, batch);
    };`);
    expect(batchOfResult(await runner.run(batchOf(), {})).user_attributes.types).toEqual(names.map(() => 'undefined'));
  });

  it('stops an endless loop at the time limit, then runs the next batch in a fresh isolate', async () => {
    const runner = await open(`let n = 0; exports.handler = (batch, context, callback) => {
      n++;
      if (batch.user_attributes.loop) for (;;) {}
      batch.user_attributes.n = n;
      callback(null, batch);
    };`, 50);
    expect(batchOfResult(await runner.run(batchOf(), {})).user_attributes.n).toBe(1);
    expect(batchOfResult(await runner.run(batchOf(), {})).user_attributes.n).toBe(2);
    const started = Date.now();
    expect(await runner.run({ ...batchOf(), user_attributes: { loop: true } }, {})).toEqual({ kind: 'failed', reason: 'timeout', message: 'took longer than 50 ms' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(batchOfResult(await runner.run(batchOf(), {})).user_attributes.n).toBe(1);
  });

  it('stops an allocation without end at the memory limit, then runs the next batch', async () => {
    const runner = await open(`exports.handler = (batch, context, callback) => {
      if (batch.user_attributes.grow) { const a = []; while (true) a.push(new Array(1e6)); }
      callback(null, batch);
    };`, 5000, 32);
    expect(await runner.run({ ...batchOf(), user_attributes: { grow: true } }, {})).toEqual({ kind: 'failed', reason: 'memory', message: 'exceeded the memory limit of 32 MB' });
    expect(batchOfResult(await runner.run(batchOf(), {})).user_attributes).toEqual(batchOf().user_attributes);
  });

  it('runs the batches given at once one after the other, in order', async () => {
    const runner = await open(COUNTER);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => runner.run(batchOf(), {})));
    expect(results.map((r) => batchOfResult(r).user_attributes.n)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses code that does not load, and runs after close', async () => {
    await expect(RuleRunner.open({ code: 'exports.handler = (b) => {', timeoutMs: 200 })).rejects.toThrow(RuleLoadError);
    await expect(RuleRunner.open({ code: 'exports.handler = 1', timeoutMs: 200 })).rejects.toThrow('does not set exports.handler to a function (it is number)');
    await expect(RuleRunner.open({ code: COUNTER, timeoutMs: 200, memoryLimitMb: 4 })).rejects.toThrow(RangeError);
    const runner = await RuleRunner.open({ code: COUNTER, timeoutMs: 200 });
    const pending = runner.run(batchOf(), {});
    await runner.close();
    expect(batchOfResult(await pending).user_attributes.n).toBe(1);
    await expect(runner.run(batchOf(), {})).rejects.toThrow('after close');
  });
});
