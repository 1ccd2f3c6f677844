import type { Logger } from 'pino';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { ErasureForwarder, ErasureNotice, ForwardingStatus } from '../privacy/subject-data.ts';
import { backoffMs, pause, type RetryPolicy } from './backoff.ts';
import type { ConnectionStore, OutputRecord } from './connection-store.ts';
import type { OutputKinds } from './kinds/index.ts';
import { asFailure } from './retrier.ts';

/** What {@link ErasureForwarding} reads and how it retries. */
export interface ErasureForwardingDeps {
  readonly connections: Pick<ConnectionStore, 'connections' | 'outputs'>;
  readonly kinds: OutputKinds;
  /** How long one request may take before it counts as a (retryable) timeout. */
  readonly timeoutMs: number;
  /** The connections' retry policy (ARCHITECTURE.md § Retry classes): backoff, its cap and the budget. */
  readonly retry: RetryPolicy;
  readonly logger: Pick<Logger, 'warn'>;
  /** Backoff's jitter (tests fix it). */
  readonly random?: () => number;
}

/** The partner's domain for a forwarding status: the host of the output's URL, else its kind. */
function domainOf(output: OutputRecord): string {
  const url = output.settings.url;
  if (typeof url === 'string') {
    try {
      return new URL(url).hostname;
    } catch {
      // A URL setting was checked when the output was saved; the kind names it otherwise.
    }
  }
  return output.kind;
}

/**
 * Forwards erasure requests to the workspace's outputs (mParticle's "Data Subject Request
 * Forwarding for Erasure"): each output with at least one active connection whose kind forwards
 * erasures (`Output.forwardErasure`) is sent the notice once, whatever number of connections it
 * has, outputs in parallel. An output answers `sent` (acknowledged with a 2xx), `skipped` (no
 * identity it supports) or `failed`: a `retry` failure (408, 429, 5xx, a timeout) is tried again
 * after the connections' backoff until their retry budget is spent, any other failure at once.
 * Outputs of kinds that do not forward erasures are not listed. Every try of one request to one
 * output carries the key `erasure-<subject_request_id>-<output id>`.
 *
 * @example
 *   const statuses = await forwarding.forward(ws, notice);
 *   // [{ domain: 'hooks.example.com', name: 'Order events webhook', status: 'sent' }]
 */
export class ErasureForwarding implements ErasureForwarder {
  private readonly stopping = new AbortController();

  constructor(private readonly deps: ErasureForwardingDeps) {}

  async forward(ws: WorkspaceId, notice: ErasureNotice): Promise<ForwardingStatus[]> {
    const { connections } = this.deps;
    const active = new Set(connections.connections(ws).filter((c) => c.active).map((c) => c.outputId));
    const outputs = connections.outputs(ws).filter((o) => active.has(o.id)).sort((a, b) => a.id - b.id);
    const statuses = await Promise.all(outputs.map((o) => this.forwardTo(o, notice)));
    return statuses.filter((s): s is ForwardingStatus => s !== undefined);
  }

  /** Ends the waits between tries: a forward still retrying rejects, so its request is forwarded again when it runs again. */
  stop(): void {
    this.stopping.abort();
  }

  private async forwardTo(output: OutputRecord, notice: ErasureNotice): Promise<ForwardingStatus | undefined> {
    const { kinds, timeoutMs, retry, logger, random } = this.deps;
    const kind = kinds.get(output.kind);
    if (!kind) return undefined;
    const opened = kind.open(output.settings, { timeoutMs });
    try {
      if (!opened.forwardErasure) return undefined;
      const about = { domain: domainOf(output), name: output.name };
      const key = `erasure-${notice.subjectRequestId}-${output.id}`;
      const startedMs = Date.now();
      for (let attempt = 1; ; attempt += 1) {
        if (this.stopping.signal.aborted) throw new Error(`Quanta stopped before the erasure request ${notice.subjectRequestId} was forwarded to output ${output.id}`);
        try {
          const done = await opened.forwardErasure(notice, key);
          return done.status === 'sent' ? { ...about, status: 'sent' } : { ...about, status: 'skipped', status_message: done.message };
        } catch (error) {
          const failure = asFailure(error);
          const wait = backoffMs(retry, attempt, failure.retryAfterMs, random);
          const giveUp = failure.retry === 'permanent' || Date.now() + wait - startedMs > retry.budgetMs;
          logger.warn({ output: output.id, subjectRequestId: notice.subjectRequestId, attempt, err: failure.message }, 'erasure forwarding failed');
          if (giveUp) {
            const message = failure.retry === 'permanent' ? failure.message : `${failure.message} (gave up after ${attempt} tries)`;
            return { ...about, status: 'failed', status_message: message };
          }
          await pause(wait, this.stopping.signal);
        }
      }
    } finally {
      await opened.close();
    }
  }
}
