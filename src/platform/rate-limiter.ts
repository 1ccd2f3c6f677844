import { RateLimitExceeded } from './platform-errors.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets: per input for the Events API's batches-per-second limit (mParticle's default is
 * 270; a bucket holds one second of batches, so a bulk call of up to 100 batches fits at once),
 * or per any other key and limit (the custom roles API's 100 requests a minute per organisation).
 */
export class RateLimiter {
  private readonly buckets = new Map<number | string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Takes `cost` batches from the input's bucket or throws a 429 naming when to retry.
   * Returns the percentage of the limit now used, for `X-MP-Rate-Limit-Percentage-Used`.
   */
  take(key: number | string, perSecond: number, cost: number, limit = 'app', capacity = Math.max(perSecond, 100)): number {
    if (perSecond <= 0) return 0;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: capacity, at: t };
    b.tokens = Math.min(capacity, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens < cost) {
      throw new RateLimitExceeded(Math.max(1, Math.ceil((cost - b.tokens) / perSecond)), limit);
    }
    b.tokens -= cost;
    return Math.round(((capacity - b.tokens) / capacity) * 100);
  }
}
