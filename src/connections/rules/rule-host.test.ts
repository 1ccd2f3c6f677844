import { afterAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../model/batch.ts';
import { RuleHost } from './rule-host.ts';

const batch = (name: string): Batch => ({ events: [{ event_type: 'custom_event', data: { event_name: name } }], environment: 'production', user_identities: {}, user_attributes: {} });
const TAG = 'exports.handler = (batch, context, callback) => { batch.user_attributes.host = context.n; callback(null, batch); };';
// A hash table grown without end: V8 aborts the process it runs in instead of stopping at the isolate's limit.
const GROW = 'exports.handler = (batch, context, callback) => { const m = new Map(); for (let i = 0; ; i++) m.set(i, "x" + i); };';

const host = new RuleHost();
afterAll(() => host.close());

describe('the rules\' sandbox process', () => {
  it('runs a rule on a copy of the batch, in its own process', async () => {
    const tag = host.open('tag@1', TAG, 200);
    const given = batch('a');
    const result = await tag.run(given, { n: 7 });
    expect(result).toEqual({ kind: 'ok', batch: { ...given, user_attributes: { host: 7 } } });
    expect(given.user_attributes).toEqual({});
  });

  it('checks code there: a syntax error or no handler is the problem it answers', async () => {
    expect(await host.check(TAG, 200)).toBeUndefined();
    expect(await host.check('exports.handler = (batch => {', 200)).toMatch(/^SyntaxError/);
    expect(await host.check('exports.other = 1;', 200)).toMatch(/exports\.handler/);
  });

  it('survives a rule that brings V8 down: that run fails as out of memory, and the next runs go on in a new process', async () => {
    const grow = host.open('grow@1', GROW, 5000);
    const tag = host.open('tag@2', TAG, 200);
    const crashed = await grow.run(batch('b'), {});
    expect(crashed).toMatchObject({ kind: 'failed', reason: 'memory', message: expect.stringMatching(/sandbox process ended/) });
    // This process is still here, and so are the rules: each is opened again in the new process.
    expect(await tag.run(batch('c'), { n: 1 })).toMatchObject({ kind: 'ok', batch: { user_attributes: { host: 1 } } });
  }, 60_000);
});
