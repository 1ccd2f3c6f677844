import { type ChildProcess, fork } from 'node:child_process';
import type { Batch } from '../../model/batch.ts';
import type { HostReply, HostRequest } from './rule-host-child.ts';
import type { RuleResult } from './rule-runner.ts';

type Request = HostRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** A rule opened in the host: what `applyRules` runs. */
export interface HostedRule {
  run(batch: Batch, context: object): Promise<RuleResult>;
  close(): Promise<void>;
}

const ENTRY = new URL('./rule-host.mjs', import.meta.url);

/**
 * The rules' sandbox process, seen from the app: JavaScript rules run in isolated-vm isolates in a
 * child process of their own, so that a rule which brings V8 down (isolated-vm stops most runaway
 * allocation at the memory limit, but a hash table grown without end aborts the process it runs
 * in) kills only that process. Its runs in flight then fail as `memory` failures (the rule's
 * failure action applies), and the next call starts a new process, opening its rules again.
 * Batches cross as JSON. One process serves every rule of this Quanta.
 */
export class RuleHost {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, { child: ChildProcess; resolve: (reply: HostReply) => void; reject: (error: Error) => void }>();
  /** What each open rule was opened with, to open it again in a new process. */
  private readonly opened = new Map<string, { code: string; timeoutMs: number }>();
  private readonly ready = new Map<string, Promise<void>>();

  /** Checks that code loads and sets `exports.handler` (in the sandbox process); answers the problem, or undefined. */
  async check(code: string, timeoutMs: number): Promise<string | undefined> {
    const reply = await this.call({ op: 'check', code, timeoutMs });
    if (!reply.ok) return reply.message;
    return reply.problem;
  }

  /** Opens a rule (its `key` names one version of it); runs queue behind the open. */
  open(key: string, code: string, timeoutMs: number): HostedRule {
    this.opened.set(key, { code, timeoutMs });
    this.ready.delete(key);
    return {
      run: (batch, context) => this.run(key, batch, context),
      close: () => this.closeRule(key),
    };
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.disconnect();
    await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  private async run(key: string, batch: Batch, context: object): Promise<RuleResult> {
    try {
      await this.openIn(key);
      const reply = await this.call({ op: 'run', rule: key, batch: JSON.stringify(batch), context: JSON.stringify(context) });
      if (!reply.ok) return { kind: 'failed', reason: 'error', message: reply.message };
      return reply.result!;
    } catch (error) {
      return { kind: 'failed', reason: 'memory', message: error instanceof Error ? error.message : String(error) };
    }
  }

  private openIn(key: string): Promise<void> {
    let ready = this.ready.get(key);
    if (!ready) {
      const spec = this.opened.get(key);
      if (!spec) return Promise.reject(new Error(`rule ${key} was closed`));
      ready = this.call({ op: 'open', rule: key, code: spec.code, timeoutMs: spec.timeoutMs }).then((reply) => {
        if (!reply.ok) throw new Error(reply.message);
      });
      ready.catch(() => this.ready.delete(key));
      this.ready.set(key, ready);
    }
    return ready;
  }

  private async closeRule(key: string): Promise<void> {
    this.opened.delete(key);
    this.ready.delete(key);
    if (this.child) await this.call({ op: 'close', rule: key }).catch(() => undefined);
  }

  private call(request: Request): Promise<HostReply> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { child, resolve, reject });
      child.send({ ...request, id } as HostRequest, (error) => {
        if (error) {
          this.waiting.delete(id);
          reject(error);
        }
      });
    });
  }

  private start(): ChildProcess {
    // Its own flags: isolated-vm on Node 20 wants --no-node-snapshot; nothing of the app's (a profiler, say) is passed on.
    const child = fork(ENTRY, [], { execArgv: ['--no-node-snapshot'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (reply: HostReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      waiter?.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      // Every rule must be opened again in the next process.
      if (this.child === undefined) this.ready.clear();
      const died = new Error(`the rules' sandbox process ended (${signal ?? `exit code ${code}`}), most likely a rule ran out of memory; it is started again`);
      for (const [id, waiter] of this.waiting) {
        if (waiter.child !== child) continue;
        this.waiting.delete(id);
        waiter.reject(died);
      }
    });
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    this.child = child;
    return child;
  }
}
