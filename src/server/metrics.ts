import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { QuantaError } from '../kernel/errors.ts';

/**
 * Quanta's Prometheus metrics, one registry per app so tests do not share counters. Other
 * registries (the processor thread's) are shown with it through {@link addSource}.
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

  readonly batchesAccepted = new Counter({
    name: 'quanta_batches_accepted_total',
    help: 'Event batches made durable in the event log.',
    labelNames: ['input'] as const,
    registers: [this.registry],
  });

  readonly eventsAccepted = new Counter({
    name: 'quanta_events_accepted_total',
    help: 'Events made durable in the event log.',
    labelNames: ['input'] as const,
    registers: [this.registry],
  });

  readonly duplicateBatches = new Counter({
    name: 'quanta_batches_duplicate_total',
    help: 'Batches not appended again because their source_request_id was seen before.',
    registers: [this.registry],
  });

  readonly requestsRejected = new Counter({
    name: 'quanta_requests_rejected_total',
    help: 'Ingest requests refused, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly webForwardingReports = new Counter({
    name: 'quanta_web_forwarding_reports_total',
    help: 'Kit forwarding statistics the Web SDK reported (not stored).',
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
