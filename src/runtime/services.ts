import { Histogram, type Registry } from 'prom-client';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';

/**
 * The services one thread's capabilities share, by name: each provided once, by the capability
 * that owns it, and used by those registered after it (src/capabilities.ts's order). A name used
 * before it is provided is a mistake in that order, reported at start-up with both names.
 */
export class Services<S extends object> {
  private readonly provided = new Map<keyof S, { service: unknown; by: string }>();

  constructor(private readonly thread: string) {}

  provide<K extends keyof S>(name: K, service: S[K], by: string): void {
    const earlier = this.provided.get(name);
    if (earlier) throw new Error(`${by} provides the ${this.thread} service "${String(name)}", which ${earlier.by} provides already`);
    this.provided.set(name, { service, by });
  }

  use<K extends keyof S>(name: K, by: string): S[K] {
    const found = this.provided.get(name);
    if (!found) {
      throw new Error(
        `${by} uses the ${this.thread} service "${String(name)}", which no capability registered before it provides; ` +
          'register the capability that provides it earlier in src/capabilities.ts',
      );
    }
    return found.service as S[K];
  }
}

/** Close hooks, run in reverse order of registration; every one runs even when one fails. */
export class Closers {
  private readonly closers: (() => Promise<void> | void)[] = [];

  add(close: () => Promise<void> | void): void {
    this.closers.push(close);
  }

  /** Runs every hook, latest first; the failures, if any, are returned (not thrown). */
  async run(): Promise<unknown[]> {
    const failures: unknown[] = [];
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failures.push(error);
      }
    }
    return failures;
  }
}

/** `quanta_erasure_seconds{eraser}` in a thread's registry: how long each eraser takes on a chunk of users. */
export function erasureTimer(registry: Registry): (eraser: string, seconds: number) => void {
  const h = new Histogram({
    name: 'quanta_erasure_seconds',
    help: 'Time each eraser (a store and what its capability keeps in memory) took to erase a chunk of users, by eraser.',
    labelNames: ['eraser'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return (eraser, seconds) => h.observe({ eraser }, seconds);
}

/** The erasers of one thread's capabilities (`Context.eraser`), run in the order they were declared. */
export class Erasers {
  private readonly erasers = new Map<string, (ws: WorkspaceId, mpids: readonly Mpid[]) => Promise<number>>();

  /** `observe`: told how long each eraser took on a call (seconds), for metrics. */
  constructor(private readonly observe: (eraser: string, seconds: number) => void = () => undefined) {}

  add(name: string, erase: (ws: WorkspaceId, mpids: readonly Mpid[]) => Promise<number>, by: string): void {
    if (this.erasers.has(name)) throw new Error(`${by} declares the eraser "${name}", which is declared already`);
    this.erasers.set(name, erase);
  }

  /** Runs each eraser on the users; the rows each removed, by name. A failing eraser fails the call (an erasure is retried whole). */
  async run(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<Record<string, number>> {
    const rows: Record<string, number> = {};
    if (mpids.length === 0) return rows;
    for (const [name, erase] of this.erasers) {
      const started = performance.now();
      rows[name] = await erase(ws, mpids);
      this.observe(name, (performance.now() - started) / 1000);
    }
    return rows;
  }
}
