import { backoffMs, pause, type RetryPolicy } from './backoff.ts';
import type { DeliveryCounts } from './delivery-store.ts';
import { DeliveryFailed } from './output.ts';

/** What a connection reports as it goes (the metrics). */
export interface DeliveryEvents {
  sent(connectionId: number, items: number): void;
  failed(connectionId: number, error: DeliveryFailed): void;
  retried(connectionId: number): void;
  deadLettered(connectionId: number, items: number): void;
}

/** How one request ended when it was not delivered. */
export interface Undelivered {
  readonly message: string;
  /** True: its budget is spent or the receiver refused it, so it is dead-lettered; false: a stop came first. */
  readonly gaveUp: boolean;
  readonly attempts: number;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Failures as the output boundary classified them; anything else an output throws is a bug in
 * it or a payload it could not build, so retrying cannot help.
 */
export const asFailure = (error: unknown): DeliveryFailed =>
  error instanceof DeliveryFailed ? error : new DeliveryFailed(`the output failed: ${messageOf(error)}`, 'permanent');

/**
 * One connection's retries (ARCHITECTURE.md § Retry classes): a `retry` failure is tried again
 * after backoff until the budget is spent, a `permanent` one is given up at once, and a
 * receiver's `Retry-After` holds back every request of the connection until it has passed.
 */
export class Retrier {
  /** Nothing goes to the receiver before this (its `Retry-After`). */
  private notBeforeMs = 0;

  constructor(
    private readonly connectionId: number,
    private readonly policy: RetryPolicy,
    private readonly events: DeliveryEvents,
    private readonly signal: AbortSignal,
  ) {}

  /** Sends until delivered (answers undefined) or given up; counts every try in `counts`. */
  async send(items: number, send: () => Promise<void>, counts: DeliveryCounts): Promise<Undelivered | undefined> {
    const { connectionId: id, events, signal } = this;
    const startedMs = Date.now();
    for (let attempt = 1; ; attempt += 1) {
      await pause(this.notBeforeMs - Date.now(), signal);
      if (signal.aborted) return { message: 'stopped before delivery', gaveUp: false, attempts: attempt - 1 };
      let failure: DeliveryFailed;
      try {
        await send();
        counts.sent += items;
        events.sent(id, items);
        return undefined;
      } catch (error) {
        failure = asFailure(error);
      }
      counts.failed += 1;
      events.failed(id, failure);
      const wait = backoffMs(this.policy, attempt, failure.retryAfterMs);
      if (failure.retryAfterMs !== undefined) this.notBeforeMs = Math.max(this.notBeforeMs, Date.now() + failure.retryAfterMs);
      const spent = Date.now() + wait - startedMs > this.policy.budgetMs;
      if (failure.retry === 'permanent' || spent) {
        if (signal.aborted) return { message: failure.message, gaveUp: false, attempts: attempt };
        counts.dead_lettered += items;
        events.deadLettered(id, items);
        const message = failure.retry === 'permanent' ? failure.message : `${failure.message} (gave up after ${attempt} tries)`;
        return { message, gaveUp: true, attempts: attempt };
      }
      counts.retried += 1;
      events.retried(id);
      await pause(wait, signal);
      if (signal.aborted) return { message: failure.message, gaveUp: false, attempts: attempt };
    }
  }
}
