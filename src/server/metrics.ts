import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QuantaError } from '../kernel/errors.ts';

/**
 * The app thread's Prometheus registry, one per app so tests do not share counters: the HTTP
 * metrics, the process's and the log lag here; each capability adds its own metrics to
 * {@link registry} (its context's `metrics`). Other registries (the processor thread's) are shown
 * with it through {@link addSource}.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly sources: (() => Promise<string>)[] = [];

  readonly httpRequests = new Counter({
    name: 'quanta_http_requests_total',
    help: 'HTTP requests by route, method and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'quanta_http_request_duration_seconds',
    help: 'HTTP request duration by route.',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(logLag: () => Promise<number>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'quanta_' });
    new Gauge({
      name: 'quanta_event_log_lag',
      help: 'Batches in the event log not yet processed.',
      registers: [this.registry],
      async collect() {
        this.set(await logLag());
      },
    });
  }

  /** Adds the exposition text of another registry (metric names must not clash with this one's). */
  addSource(text: () => Promise<string>): void {
    this.sources.push(text);
  }

  /** Every metric, in the Prometheus text format. */
  async text(): Promise<string> {
    const parts = await Promise.all([this.registry.metrics(), ...this.sources.map((source) => source())]);
    return parts.map((part) => (part.endsWith('\n') ? part : `${part}\n`)).join('');
  }
}

/**
 * The `code` label of `quanta_requests_rejected_total`: the body's code word (BAD_REQUEST,
 * FORBIDDEN...), as before codes were registered, so dashboards keep their series; for an error
 * not coded, its own code.
 */
export function rejectionCode(error: unknown): string {
  if (error instanceof QuantaError) return error.bodyCode;
  return (error as { code?: string }).code ?? 'INTERNAL_ERROR';
}
