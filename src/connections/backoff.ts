/** How a connection retries a failed request (see ARCHITECTURE.md § Retry classes). */
export interface RetryPolicy {
  /** The first wait, doubled after each failure. */
  readonly baseMs: number;
  /** The longest wait between two tries. */
  readonly maxMs: number;
  /** How long a request is retried before it is dead-lettered. */
  readonly budgetMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, maxMs: 5 * 60_000, budgetMs: 60 * 60_000 };

/**
 * The wait before try `attempt + 1` (after `attempt` failures, from 1): exponential with jitter
 * (between half and all of the doubled wait, so connections retrying at once spread out), but
 * never less than the receiver's `Retry-After`.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | undefined, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
  const jittered = Math.round(ceiling * (0.5 + random() / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Waits `ms`, or less when `signal` aborts (a stop): resolves either way. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
