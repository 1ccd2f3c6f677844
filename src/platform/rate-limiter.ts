import { RateLimitExceeded } from './platform-errors.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-input token buckets for the Events API's batches-per-second limit (mParticle's default is
 * 270). A bucket holds one second of batches, so a bulk call of up to 100 batches fits at once.
 */
export class RateLimiter {
  private readonly buckets = new Map<number, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes `cost` batches from the input's bucket or throws a 429 naming when to retry.
   * Returns the percentage of the limit now used, for `X-MP-Rate-Limit-Percentage-Used`.
   */
  take(inputId: number, perSecond: number, cost: number): number {
    if (perSecond <= 0) return 0;
    const capacity = Math.max(perSecond, 100);
    const t = this.now();
    const b = this.buckets.get(inputId) ?? { tokens: capacity, at: t };
    b.tokens = Math.min(capacity, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    this.buckets.set(inputId, b);
    if (b.tokens < cost) {
      throw new RateLimitExceeded(Math.max(1, Math.ceil((cost - b.tokens) / perSecond)), 'app');
    }
    b.tokens -= cost;
    return Math.round(((capacity - b.tokens) / capacity) * 100);
  }
}
