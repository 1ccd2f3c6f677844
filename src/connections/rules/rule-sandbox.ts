import ivm from 'isolated-vm';

/**
 * A rule's code loaded into an isolate of its own (`isolated-vm`): a V8 heap with nothing but
 * the language's built-ins, so no `require`, `process`, `Buffer`, timers, network or file system.
 * The code runs as a Lambda module does: it sets `exports.handler` (or `module.exports`), once per
 * isolate; then each batch is one call into the harness below, which hands the handler a batch it
 * parses from JSON and answers with one string (see {@link Outcome}).
 */

/** What one isolate may use: the rule's time limit (each call, and loading) and its heap. */
export interface SandboxLimits {
  readonly timeoutMs: number;
  readonly memoryLimitMb: number;
}

/** Taken when a runner is not told: a rule handles one batch, a few KB of JSON. */
export const DEFAULT_MEMORY_LIMIT_MB = 32;

/** isolated-vm refuses less. */
export const MIN_MEMORY_LIMIT_MB = 8;

/**
 * The harness's answer to a call, one string so that one copy crosses the boundary: `B` and the
 * batch's JSON, `N` (the rule dropped the batch), `E` and why the rule failed, or `P` (not settled
 * yet: the handler answers from a promise; {@link Sandbox.take} reads it once the call's microtasks
 * have run, as they do before the call returns).
 */
export type Outcome = string;

/** One isolate with a rule loaded, ready for calls. */
export interface Sandbox {
  readonly isolate: ivm.Isolate;
  readonly run: ivm.Reference<(batchJson: string, contextJson: string) => Outcome>;
  readonly take: ivm.Reference<() => Outcome>;
}

export type Loaded = { ok: true; sandbox: Sandbox } | { ok: false; problem: string };

/** The name rule code has in stack traces, which is how an error's line is found. */
const FILENAME = 'rule.js';

/**
 * Evaluated before the rule's code: it defines `exports` and `module` and keeps `JSON` before the
 * rule could replace it. Its value is the harness: `check` (after the code ran: is there a
 * handler?), `run` and `take`. A callback called twice, or after the promise settled, is ignored
 * (the first answer wins, as in Lambda).
 */
const HARNESS = String.raw`(() => {
  'use strict';
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const moduleObject = { exports: {} };
  globalThis.exports = moduleObject.exports;
  globalThis.module = moduleObject;
  const LINE = /rule\.js:(\d+):\d+/;
  let handler;
  let current = null;
  const describe = (e) => {
    try {
      if (e instanceof Error) {
        const line = LINE.exec(String(e.stack));
        return e.name + ': ' + e.message + (line ? ' (line ' + line[1] + ')' : '');
      }
      const text = typeof e === 'object' && e !== null ? stringify(e) : String(e);
      return text.length > 200 ? text.slice(0, 200) + '...' : text;
    } catch (_) {
      return 'an error that cannot be described';
    }
  };
  const encode = (result) => {
    if (result === null) return 'N';
    if (result === undefined) return 'Ethe handler gave no batch: pass the batch, or null to drop it';
    try {
      const json = stringify(result);
      return json === undefined ? 'Ethe handler gave a ' + typeof result + ', not a batch object' : 'B' + json;
    } catch (e) {
      return 'Ethe handler gave a batch that is not JSON: ' + describe(e);
    }
  };
  const settle = (call, outcome) => {
    if (call.outcome === undefined) call.outcome = outcome;
  };
  return {
    check() {
      const exported = moduleObject.exports;
      handler = exported === null || exported === undefined ? undefined : exported.handler;
      return typeof handler === 'function' ? '' : 'does not set exports.handler to a function (it is ' + (handler === null ? 'null' : typeof handler) + ')';
    },
    run(batchJson, contextJson) {
      const call = { outcome: undefined, promised: false };
      current = call;
      const callback = (error, result) => {
        if (error === null || error === undefined) settle(call, encode(result));
        else if (typeof error === 'object' && Array.isArray(error.events)) settle(call, "Ecallback's first argument is the error: answer callback(null, batch)");
        else settle(call, 'E' + describe(error));
      };
      try {
        const returned = handler(parse(batchJson), parse(contextJson), callback);
        if (returned !== null && (typeof returned === 'object' || typeof returned === 'function') && typeof returned.then === 'function') {
          call.promised = true;
          returned.then((value) => settle(call, encode(value)), (error) => settle(call, 'E' + describe(error)));
        }
      } catch (error) {
        settle(call, 'E' + describe(error));
      }
      return call.outcome === undefined ? 'P' : call.outcome;
    },
    take() {
      const call = current;
      current = null;
      if (call !== null && call.outcome !== undefined) return call.outcome;
      return call !== null && call.promised
        ? 'Ethe handler returned a promise that never settles (a rule has no timers nor I/O)'
        : 'Ethe handler returned without calling callback(null, batch) and without returning a promise';
    },
  };
})()`;

/**
 * Creates an isolate and loads the code into it, synchronously: the harness, then the rule's
 * code (its top level under the time limit), then the check that it exported a handler. Answers
 * why it could not, in the words of `parseRule` (`SyntaxError: Unexpected token ';' (line 2)`).
 */
export function loadSandbox(code: string, limits: SandboxLimits): Loaded {
  const isolate = new ivm.Isolate({ memoryLimit: limits.memoryLimitMb });
  try {
    const context = isolate.createContextSync();
    const harness = context.evalSync(HARNESS, { reference: true }) as ivm.Reference<Record<string, unknown>>;
    isolate.compileScriptSync(code, { filename: FILENAME }).runSync(context, { timeout: limits.timeoutMs });
    const check = harness.getSync('check', { reference: true }) as ivm.Reference<() => string>;
    const problem = check.applySync(undefined, [], { timeout: limits.timeoutMs });
    if (problem !== '') return refuse(isolate, problem);
    const run = harness.getSync('run', { reference: true }) as Sandbox['run'];
    const take = harness.getSync('take', { reference: true }) as Sandbox['take'];
    return { ok: true, sandbox: { isolate, run, take } };
  } catch (error) {
    return refuse(isolate, describeLoadError(error, isolate, limits));
  }
}

function refuse(isolate: ivm.Isolate, problem: string): Loaded {
  if (!isolate.isDisposed) isolate.dispose();
  return { ok: false, problem };
}

/** Why a call into an isolate failed, when the harness could not answer itself. */
export type Abort = { reason: 'timeout' | 'memory' | 'error'; message: string };

/** Classifies what isolated-vm threw: the memory limit disposes the isolate, a timeout does not. */
export function abortOf(error: unknown, isolate: ivm.Isolate, limits: SandboxLimits): Abort {
  const message = error instanceof Error ? error.message : String(error);
  if (isolate.isDisposed) return { reason: 'memory', message: `exceeded the memory limit of ${limits.memoryLimitMb} MB` };
  if (/timed out/i.test(message)) return { reason: 'timeout', message: `took longer than ${limits.timeoutMs} ms` };
  return { reason: 'error', message };
}

function describeLoadError(error: unknown, isolate: ivm.Isolate, limits: SandboxLimits): string {
  const abort = abortOf(error, isolate, limits);
  switch (abort.reason) {
    case 'timeout':
      return `${abort.message} to load`;
    case 'memory':
      return `${abort.message} while loading`;
    case 'error': {
      if (!(error instanceof Error)) return abort.message;
      const where = /\[rule\.js:(\d+):\d+\]/.exec(error.message) ?? /rule\.js:(\d+):\d+/.exec(error.stack ?? '');
      const message = error.message.replace(/\s*\[rule\.js:\d+:\d+\]$/, '');
      return `${error.name}: ${message}${where ? ` (line ${where[1]})` : ''}`;
    }
    default: {
      const never: never = abort.reason;
      throw new Error(`unknown abort reason ${JSON.stringify(never)}`);
    }
  }
}
