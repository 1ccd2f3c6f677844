import type { Parsed, Problem } from '../stream-batch.ts';
import { DEFAULT_MEMORY_LIMIT_MB, loadSandbox } from './rule-sandbox.ts';

/**
 * What happens to a batch when its rule fails (throws, times out, runs out of memory or answers
 * something that is not a batch): mParticle's Failure Action. `proceed` hands on the batch the
 * rule was given, as if the rule had not run; `discard` drops the batch.
 */
export const FAILURE_ACTIONS = ['proceed', 'discard'] as const;
export type FailureAction = (typeof FAILURE_ACTIONS)[number];

/**
 * Where a rule runs: `connection` rules run only for the connections that name them (mParticle's
 * "Specific Output" rules); `all_outputs` rules run for every connection of the workspace, before
 * the connection's own.
 */
export const RULE_SCOPES = ['all_outputs', 'connection'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];

/** A rule's time limit per batch, in ms: mParticle's 200 ms unless set. */
export const RULE_TIMEOUT_MS = { default: 200, min: 1, max: 5000 } as const;

/** A rule as stored: its code is known to load and to export a handler. */
export interface RuleDefinition {
  readonly name: string;
  /** A Lambda-style module: `exports.handler = (batch, context, callback) => { ... }`. */
  readonly code: string;
  readonly failure_action: FailureAction;
  readonly timeout_ms: number;
  readonly scope: RuleScope;
}

const FIELDS = ['name', 'code', 'failure_action', 'timeout_ms', 'scope'] as const;
const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a rule's body and normalises it (`timeout_ms` 200 and `scope` `connection` when not
 * sent), every problem named by its field (`failure_action: must be one of "proceed", "discard".`).
 * The code is loaded once in a sandbox, under the rule's time limit, so that a syntax error, an
 * error at its top level or a missing handler is refused here, with its line when it has one:
 * `code: SyntaxError: Unexpected token ';' (line 3)`.
 *
 * @example
 * parseRule({ name: 'Drop internal users', failure_action: 'proceed',
 *   code: 'exports.handler = (batch, context, callback) => callback(null, batch.user_attributes.internal ? null : batch);' });
 * // { ok: true, value: { name: 'Drop internal users', ..., timeout_ms: 200, scope: 'connection' } }
 */
export function parseRule(raw: unknown, checkCode: CodeCheck | null = checkInProcess): Parsed<RuleDefinition> {
  if (!isObject(raw)) return { ok: false, problems: ['body: must be an object with "name", "code" and "failure_action".'] };
  const problems: Problem[] = [];
  for (const key of Object.keys(raw)) {
    if (!(FIELDS as readonly string[]).includes(key)) problems.push(`${key}: unknown field; a rule has ${list(FIELDS)}.`);
  }
  const name = typeof raw.name === 'string' ? raw.name.trim() : '';
  if (name === '') problems.push('name: must be a non-empty string.');
  const code = typeof raw.code === 'string' ? raw.code : undefined;
  if (code === undefined || code.trim() === '') problems.push('code: must be a non-empty string of JavaScript setting exports.handler.');
  const failureAction = oneOf(raw.failure_action, FAILURE_ACTIONS, undefined, 'failure_action', problems);
  const scope = oneOf(raw.scope, RULE_SCOPES, 'connection', 'scope', problems);
  const timeoutMs = parseTimeout(raw.timeout_ms, problems);
  if (checkCode && code !== undefined && code.trim() !== '') {
    const problem = checkCode(code, timeoutMs ?? RULE_TIMEOUT_MS.default);
    if (problem !== undefined) problems.push(`code: ${problem}`);
  }
  if (problems.length > 0 || code === undefined || failureAction === undefined || scope === undefined || timeoutMs === undefined) {
    return { ok: false, problems };
  }
  return { ok: true, value: { name, code, failure_action: failureAction, timeout_ms: timeoutMs, scope } };
}

/** Whether code loads and sets `exports.handler`: the problem, or undefined. */
export type CodeCheck = (code: string, timeoutMs: number) => string | undefined;

/** Loads the code in a throwaway isolate of this process (the app asks the rules' sandbox process, which runs this: `RuleHost.check`). */
export const checkInProcess: CodeCheck = (code, timeoutMs) => {
  const loaded = loadSandbox(code, { timeoutMs, memoryLimitMb: DEFAULT_MEMORY_LIMIT_MB });
  if (loaded.ok) loaded.sandbox.isolate.dispose();
  return loaded.ok ? undefined : loaded.problem;
};

function oneOf<T extends string>(value: unknown, values: readonly T[], fallback: T | undefined, field: string, problems: Problem[]): T | undefined {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  problems.push(`${field}: must be one of ${list(values)}.`);
  return undefined;
}

function parseTimeout(value: unknown, problems: Problem[]): number | undefined {
  if (value === undefined) return RULE_TIMEOUT_MS.default;
  if (typeof value === 'number' && Number.isInteger(value) && value >= RULE_TIMEOUT_MS.min && value <= RULE_TIMEOUT_MS.max) return value;
  problems.push(`timeout_ms: must be a whole number of ms from ${RULE_TIMEOUT_MS.min} to ${RULE_TIMEOUT_MS.max}.`);
  return undefined;
}
