/**
 * Background work that runs every `intervalMs` and on demand, one run at a time (a run asked for
 * while one is going starts after it), and that never keeps the process alive on its own: a
 * `Job` of the runtime (start with Quanta, stop before the stores close).
 *
 * @example
 *   const poller = new Poller(() => applyDueRequests(), 1000);
 *   poller.start();
 *   await poller.run();   // now, after any run in progress
 *   await poller.stop();  // waits for the run in progress
 */
export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly work: () => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs once, after any run in progress; resolves when it is done (`work` handles its own errors). */
  run(): Promise<void> {
    this.running = this.running.then(this.work);
    return this.running;
  }

  /** Runs `fn` after the run in progress (if any) and before the next one: no run overlaps it. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.running.then(fn);
    this.running = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/**
 * Background work on a {@link Poller}, as a class: `start` / `stop` / `runDue` for the runtime,
 * `runOnce` (one look for work, handling its own errors) for the subclass.
 *
 * @example
 *   class AliasWorker extends PollingJob {
 *     constructor() { super(1000); }
 *     protected async runOnce() { await applyDueRequests(); }
 *   }
 */
export abstract class PollingJob {
  private readonly poller: Poller;

  protected constructor(intervalMs: number) {
    this.poller = new Poller(() => this.runOnce(), intervalMs);
  }

  /** Looks for work every `intervalMs` until stopped. */
  start(): void {
    this.poller.start();
  }

  /** Waits for the run in progress. */
  stop(): Promise<void> {
    return this.poller.stop();
  }

  /** Looks for work now (after any run in progress); resolves when that run is done. */
  runDue(): Promise<void> {
    return this.poller.run();
  }

  /**
   * Runs `fn` between two runs of this job (an erasure of users a run might otherwise write
   * back): after the run in progress, before the next.
   */
  between<T>(fn: () => Promise<T>): Promise<T> {
    return this.poller.exclusive(fn);
  }

  protected abstract runOnce(): Promise<void>;
}
