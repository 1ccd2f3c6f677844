import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Child processes for benchmark targets, and small HTTP helpers to watch them. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private tail = '';
  private done = false;

  constructor(
    readonly name: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv },
  ) {
    this.proc = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(this.proc);
    const keep = (chunk: Buffer) => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-8000);
    };
    this.proc.stdout?.on('data', keep);
    this.proc.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.done = true;
        live.delete(this.proc);
        resolve(code ?? (signal ? -1 : null));
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  /** The last few KB the child wrote to stdout and stderr. */
  output(): string {
    return this.tail;
  }

  /** Resolves when the child writes a line matching `re`; rejects if it exits first. */
  async waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = re.exec(this.tail);
      if (m) return m;
      if (!this.running) throw new Error(`${this.name} exited before it was ready:\n${this.tail}`);
      await sleep(25);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.tail}`);
  }

  /** Sends `signal`, then SIGKILL if the child has not exited within `timeoutMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Polls `url` until it answers 200 with a body that `ready` accepts. */
export async function waitForJson<T>(
  url: string,
  ready: (body: T) => boolean,
  options: { timeoutMs: number; intervalMs?: number; child?: Child; headers?: Record<string, string> },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (options.child && !options.child.running) {
      throw new Error(`${options.child.name} exited:\n${options.child.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000), ...(options.headers ? { headers: options.headers } : {}) });
      const text = await res.text();
      last = `HTTP ${res.status} ${text.slice(0, 200)}`;
      if (res.ok) {
        const body = JSON.parse(text) as T;
        if (ready(body)) return body;
      }
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(options.intervalMs ?? 100);
  }
  throw new Error(`${url} not ready within ${options.timeoutMs} ms (last: ${last})`);
}

/**
 * CPU seconds (user + system, all threads) a process has used so far, from `/proc/<pid>/stat`;
 * NaN where there is no procfs. Clock ticks are 100 per second on Linux.
 */
export function cpuSeconds(pid: number | undefined): number {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return NaN;
  }
}

/** User + system seconds in a `/proc` `stat` line (a process's or a thread's). */
function statCpuSeconds(stat: string): number {
  // Fields after the command name (which may hold spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds each thread group of a process has used so far, from `/proc/<pid>/task/<tid>/stat`:
 * the main thread as `main`, the others by their thread name (`libuv-worker`, `V8 DefaultWorke`...,
 * and `node` for worker threads and native threads left unnamed). Empty where there is no procfs.
 */
export function threadCpuSeconds(pid: number | undefined): Map<string, number> {
  const byGroup = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byGroup;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      byGroup.set(name, (byGroup.get(name) ?? 0) + statCpuSeconds(stat));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byGroup;
}
