import { describe, expect, it } from 'vitest';
import { parseRule } from './rule-definition.ts';

const HANDLER = 'exports.handler = (batch, context, callback) => callback(null, batch);';
const problemsOf = (raw: unknown) => {
  const parsed = parseRule(raw);
  return parsed.ok ? [] : parsed.problems;
};

describe('parseRule', () => {
  it('normalises a rule, with the default time limit and scope', () => {
    expect(parseRule({ name: ' Rename events ', code: HANDLER, failure_action: 'proceed' })).toEqual({
      ok: true,
      value: { name: 'Rename events', code: HANDLER, failure_action: 'proceed', timeout_ms: 200, scope: 'connection' },
    });
    expect(parseRule({ name: 'All', code: `module.exports = { handler: async (batch) => batch };`, failure_action: 'discard', timeout_ms: 5000, scope: 'all_outputs' })).toMatchObject({
      ok: true,
      value: { failure_action: 'discard', timeout_ms: 5000, scope: 'all_outputs' },
    });
  });

  it('names every field it refuses, all at once', () => {
    expect(problemsOf({ name: '', code: HANDLER, failure_action: 'drop', timeout_ms: 0, scope: 'input', arn: 'x' })).toEqual([
      'arn: unknown field; a rule has "name", "code", "failure_action", "timeout_ms", "scope".',
      'name: must be a non-empty string.',
      'failure_action: must be one of "proceed", "discard".',
      'scope: must be one of "all_outputs", "connection".',
      'timeout_ms: must be a whole number of ms from 1 to 5000.',
    ]);
    expect(problemsOf({ name: 'x', code: HANDLER, failure_action: 'proceed', timeout_ms: 5001 })).toEqual(['timeout_ms: must be a whole number of ms from 1 to 5000.']);
    expect(problemsOf({ name: 'x', code: HANDLER, failure_action: 'proceed', timeout_ms: 2.5 })).toHaveLength(1);
    expect(problemsOf({ name: 'x', code: '  ', failure_action: 'proceed' })).toEqual(['code: must be a non-empty string of JavaScript setting exports.handler.']);
    expect(problemsOf({ name: 'x', code: HANDLER })).toEqual(['failure_action: must be one of "proceed", "discard".']);
    expect(problemsOf([HANDLER])).toEqual(['body: must be an object with "name", "code" and "failure_action".']);
  });

  it('refuses a syntax error, naming its line', () => {
    const code = 'exports.handler = (batch, context, callback) => {\n  const ok = true;\n  if (ok) {{\n  callback(null, batch);\n};';
    expect(problemsOf({ name: 'x', code, failure_action: 'proceed' })).toEqual(['code: SyntaxError: Unexpected end of input (line 5)']);
    expect(problemsOf({ name: 'x', code: 'exports.handler = (b) => {\n  let = ;\n}', failure_action: 'proceed' })).toEqual([
      "code: SyntaxError: Unexpected token ';' (line 2)",
    ]);
  });

  it('refuses code without a handler, or failing as it loads', () => {
    expect(problemsOf({ name: 'x', code: 'exports.handle = () => {};', failure_action: 'proceed' })).toEqual([
      'code: does not set exports.handler to a function (it is undefined)',
    ]);
    expect(problemsOf({ name: 'x', code: 'exports.handler = {};', failure_action: 'proceed' })).toEqual([
      'code: does not set exports.handler to a function (it is object)',
    ]);
    expect(problemsOf({ name: 'x', code: `${HANDLER}\nrequire('https');`, failure_action: 'proceed' })).toEqual(['code: ReferenceError: require is not defined (line 2)']);
    expect(problemsOf({ name: 'x', code: `for (;;) {}\n${HANDLER}`, failure_action: 'proceed', timeout_ms: 20 })).toEqual(['code: took longer than 20 ms to load']);
  });

  it('checks the code even when another field is refused', () => {
    expect(problemsOf({ name: 'x', code: 'exports.handler = 1', failure_action: 'proceed', timeout_ms: -1 })).toEqual([
      'timeout_ms: must be a whole number of ms from 1 to 5000.',
      'code: does not set exports.handler to a function (it is number)',
    ]);
  });
});
