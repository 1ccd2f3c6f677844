import type { Logger } from 'pino';
import { pause, type RetryPolicy } from './backoff.ts';
import type { ConnectionRecord } from './connection-store.ts';
import type { Output } from './output.ts';
import { type DeliveryEvents, Retrier } from './retrier.ts';

/** How long a delivery waits after its store failed before it reads its cursor's work again. */
export const STORE_RETRY_MS = 1000;

/** A stop came while work was delivered: it is not committed, and runs again after a start. */
export class Stopped extends Error {}

/** What every connection's delivery loop is given. */
export interface LoopDeps {
  readonly output: Output;
  readonly retry: RetryPolicy;
  readonly events: DeliveryEvents;
  readonly logger: Logger;
  /** How long to wait when a step found nothing to deliver. */
  readonly idleMs: number;
}

/**
 * One connection's delivery loop, the part event and audience connections share: `start` runs
 * `step` again and again (waiting `idleMs` when it found nothing); a store failure is logged and
 * the loop goes on a second later, from what the cursor says (`recover`); `stop` ends it after the
 * requests in flight, each within its timeout. A {@link Stopped} from a step ends it quietly.
 */
export abstract class DeliveryLoop {
  protected readonly stopping = new AbortController();
  protected readonly retrier: Retrier;
  private loop: Promise<void> | undefined;

  protected constructor(
    readonly connection: ConnectionRecord,
    private readonly loopDeps: LoopDeps,
  ) {
    this.retrier = new Retrier(connection.id, loopDeps.retry, loopDeps.events, this.stopping.signal);
  }

  /** Reads, delivers and commits the next work; false when there was none. */
  protected abstract step(): Promise<boolean>;

  /** After a failed step: forget what was read of the cursor, so the next step reads it again. */
  protected recover(): void {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the requests in flight and stops; what was not committed runs again after a start. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.loopDeps.output.close();
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      try {
        if (!(await this.step())) await pause(this.loopDeps.idleMs, signal);
      } catch (error) {
        if (error instanceof Stopped) return;
        // The store failed (a busy file, a full disk): the work runs again from the cursor, a second later.
        this.loopDeps.logger.warn({ err: error, connection: this.connection.id }, 'a connection\'s delivery failed; it goes on from its cursor');
        this.recover();
        await pause(STORE_RETRY_MS, signal);
      }
    }
  }
}
