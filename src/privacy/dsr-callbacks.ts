import type { Logger } from 'pino';
import type { DsrCallback } from './dsr.ts';
import type { DsrSigner } from './dsr-signing.ts';
import type { CallbackOutcome, DsrStore } from './dsr-store.ts';

export interface CallbackSenderDeps {
  store: DsrStore;
  signer: DsrSigner;
  logger: Logger;
  now: () => number;
  /** The first wait after a failed try, doubled after each, up to an hour (a `Retry-After` waits longer). */
  retryBaseMs: number;
  /** Tries a callback gets before it is given up. */
  attempts: number;
  timeoutMs: number;
  onOutcome?: (outcome: CallbackOutcome['kind']) => void;
}

const MAX_WAIT_MS = 3_600_000;
/** Callbacks tried per run, and at once. */
const PER_RUN = 100;
const AT_ONCE = 8;

/** Whether an answer is worth trying again: 408, 429 and 5xx (the receiver may recover); other 4xx are not. */
export const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Sends the status callbacks that are due: POSTs each queued body, signed (RSA SHA-256 of the
 * body, base64, in `X-OpenDSR-Signature`, v1's `X-OpenGDPR-Signature`), and records the try: a
 * 2xx delivers it; a refused connection, a timeout, a 408, 429 or 5xx is tried again with
 * exponential backoff; another 4xx, or the last try, gives it up (logged, and kept as given up).
 * A URL hears a request's changes in order: the store serves the next only when the one before
 * is settled.
 */
export class CallbackSender {
  constructor(private readonly deps: CallbackSenderDeps) {}

  async sendDue(): Promise<void> {
    const due = await this.deps.store.dueCallbacks(this.deps.now(), PER_RUN);
    for (let i = 0; i < due.length; i += AT_ONCE) {
      await Promise.all(
        due.slice(i, i + AT_ONCE).map(async (c) => {
          const outcome = await this.send(c);
          await this.deps.store.settleCallback(c.id, outcome);
          this.deps.onOutcome?.(outcome.kind);
        }),
      );
    }
  }

  private async send(c: DsrCallback): Promise<CallbackOutcome> {
    let error: string;
    let retryable = true;
    let retryAfterMs = 0;
    try {
      const res = await fetch(c.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.deps.signer.headers(c.version, c.body) },
        body: c.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.timeoutMs),
      });
      await res.body?.cancel();
      if (res.ok) return { kind: 'delivered', atMs: this.deps.now() };
      error = `HTTP ${res.status}`;
      retryable = retryableStatus(res.status);
      retryAfterMs = Math.max(0, Number(res.headers.get('retry-after')) * 1000 || 0);
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      error = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
    }
    const attempts = c.attempts + 1;
    if (!retryable || attempts >= this.deps.attempts) {
      this.deps.logger.warn(
        { subjectRequestId: c.subjectRequestId, workspaceId: c.workspaceId, url: c.url, attempts, error },
        'DSR status callback given up',
      );
      return { kind: 'given_up', error };
    }
    const waitMs = Math.min(Math.max(this.deps.retryBaseMs * 2 ** (attempts - 1), retryAfterMs), MAX_WAIT_MS);
    return { kind: 'retry', error, nextTryAtMs: this.deps.now() + waitMs };
  }
}
