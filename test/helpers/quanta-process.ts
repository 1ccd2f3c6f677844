import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: `src/main.ts` is run from here, so `--import tsx` resolves. */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The most output kept from the child, so a failure message can show what it printed. */
const OUTPUT_LIMIT = 64 * 1024;

export interface StartOptions {
  dataDir: string;
  apiKey?: string;
  apiSecret?: string;
  /** A port to listen on; a free one is picked when omitted. */
  port?: number;
  /** Extra environment variables for the child (they win over the defaults). */
  env?: Record<string, string>;
  /** How long to wait for `GET /healthz` to answer 200. */
  readyTimeoutMs?: number;
}

export interface Health {
  status: string;
  log_lag: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface QuantaProcess {
  readonly url: string;
  /** The HTTPS listener's URL from the start-up banner, when TLS is configured (`QUANTA_TLS`, `QUANTA_TLS_CERT`). */
  readonly httpsUrl: string | undefined;
  readonly port: number;
  readonly dataDir: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly child: ChildProcess;
  /** Resolves when the child has exited. */
  readonly exited: Promise<Exit>;
  /** `Basic base64(key:secret)` for the bootstrap input. */
  readonly authorization: string;
  /** What the child printed so far (stdout and stderr interleaved, the last 64 KB). */
  output(): string;
  /** Sends a signal; resolves once the child has exited. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
  /** SIGTERM and wait for a clean exit (SIGKILL after `timeoutMs`, and then it throws). */
  stop(timeoutMs?: number): Promise<Exit>;
  health(): Promise<Health>;
  /** Polls `/healthz` until `log_lag` is 0: every batch appended so far has been processed. */
  waitForLag0(timeoutMs?: number): Promise<void>;
}

/** Resolves with the promise's value, or with 'timeout' after `ms` (the timer is cleared either way). */
export async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A new empty data directory under the OS temp dir; remove it with `removeDataDir`. */
export function makeDataDir(prefix = 'quanta-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDataDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

export function basicAuth(key: string, secret: string): string {
  return `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
}

/** A port nobody listens on right now: listen on 0, read it, close. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not read a free port'))));
    });
  });
}

/**
 * Starts `node --import tsx src/main.ts` as a child process on a free port and resolves once
 * `GET /healthz` answers 200. Rejects with the child's output if it exits first or is not ready
 * within `readyTimeoutMs`.
 */
export async function startQuanta(options: StartOptions): Promise<QuantaProcess> {
  const apiKey = options.apiKey ?? 'e2e-key';
  const apiSecret = options.apiSecret ?? 'e2e-secret';
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      QUANTA_DATA_DIR: options.dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      QUANTA_API_KEY: apiKey,
      QUANTA_API_SECRET: apiSecret,
      QUANTA_RATE_LIMIT: '0',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  let spawnFailure: Error | undefined;
  child.once('error', (error) => {
    spawnFailure = error;
  });

  const health = async (): Promise<Health> => {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`GET /healthz answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Health;
  };
  const describe = (what: string) =>
    `${what}\n--- quanta (pid ${child.pid}, data dir ${options.dataDir}) output ---\n${output || '(nothing)'}\n--- end ---`;

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> => {
    if (!exit) child.kill(signal);
    return exited;
  };

  const proc: QuantaProcess = {
    url,
    httpsUrl: undefined,
    port,
    dataDir: options.dataDir,
    apiKey,
    apiSecret,
    child,
    exited,
    authorization: basicAuth(apiKey, apiSecret),
    output: () => output,
    kill,
    async stop(timeoutMs = 30_000) {
      if (exit) return exit;
      child.kill('SIGTERM');
      const result = await withinMs(exited, timeoutMs);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(describe(`Quanta did not exit within ${timeoutMs} ms of SIGTERM; it was killed.`));
      }
      return result;
    },
    health,
    async waitForLag0(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Health | string = 'no answer yet';
      while (Date.now() < deadline) {
        if (exit) throw new Error(describe(`Quanta exited (${JSON.stringify(exit)}) while waiting for log_lag 0.`));
        try {
          const h = await health();
          if (h.log_lag === 0) return;
          last = h;
        } catch (error) {
          last = String(error);
        }
        await sleep(100);
      }
      throw new Error(describe(`log_lag did not reach 0 within ${timeoutMs} ms; last /healthz: ${JSON.stringify(last)}`));
    },
  };

  const tls = Boolean(options.env?.QUANTA_TLS || options.env?.QUANTA_TLS_CERT);
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + readyTimeoutMs;
  let lastError = 'no answer yet';
  for (;;) {
    if (spawnFailure) throw new Error(describe(`Could not start Quanta: ${spawnFailure.message}`));
    if (exit) throw new Error(describe(`Quanta exited (${JSON.stringify(exit)}) before /healthz answered.`));
    try {
      await health();
      if (!tls) return proc;
      // /healthz answers once the HTTP listener is up; the banner follows the HTTPS listener.
      const https = /^ {2}HTTPS +(https:\/\/\S+)/m.exec(output);
      if (https) return { ...proc, httpsUrl: https[1] };
      lastError = 'the HTTPS line of the start-up banner is not printed yet';
    } catch (error) {
      lastError = error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(describe(`Quanta did not answer GET ${url}/healthz with 200 within ${readyTimeoutMs} ms (last: ${lastError}).`));
    }
    await sleep(100);
  }
}

export interface LoadUntilKill {
  /** Concurrent loops; each calls `step(loop, n)` again and again until the kill. */
  loops: number;
  /** One request of loop `loop`; it records its own outcome and must not throw. */
  step: (loop: number, n: number) => Promise<void>;
  /** How many requests were acknowledged so far. */
  acked: () => number;
  /** True when a request went wrong: the load stops early so the test can say why. */
  failed: () => boolean;
  /** Load at least this long, and on until `minAcked` are acknowledged or `maxMs` passed. */
  minMs: number;
  minAcked: number;
  maxMs: number;
}

/**
 * Drives `quanta` with concurrent loops, then kills it with SIGKILL while requests are in
 * flight, and waits for the loops to notice. What a crash test needs before it restarts.
 */
export async function killUnderLoad(quanta: QuantaProcess, o: LoadUntilKill): Promise<{ exit: Exit; inFlightAtKill: number }> {
  let stop = false;
  let inFlight = 0;
  const loop = async (id: number) => {
    for (let n = 0; !stop; n++) {
      inFlight++;
      try {
        await o.step(id, n);
      } finally {
        inFlight--;
      }
    }
  };
  const loops = Array.from({ length: o.loops }, (_, i) => loop(i));
  const start = Date.now();
  while (Date.now() - start < o.minMs || (o.acked() < o.minAcked && Date.now() - start < o.maxMs)) {
    if (o.failed()) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  const inFlightAtKill = inFlight;
  const killed = quanta.kill('SIGKILL');
  stop = true;
  const exit = await killed;
  await Promise.all(loops);
  return { exit, inFlightAtKill };
}
