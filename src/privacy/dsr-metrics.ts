import { Counter, Gauge, type Registry } from 'prom-client';
import { REQUEST_STATUSES } from './dsr.ts';
import type { DsrRecord } from './dsr.ts';
import type { CallbackOutcome, DsrStore } from './dsr-store.ts';

/**
 * The DSR lifecycle's metrics: requests entering each status (by type), requests kept per status
 * (read from the store when scraped), and status callback tries by outcome.
 */
export function dsrMetrics(registry: Registry, store: DsrStore) {
  const registers = [registry];
  const statuses = new Counter({
    name: 'quanta_dsr_status_changes_total',
    help: 'Data subject requests entering each status, by status and request type',
    labelNames: ['status', 'type'] as const,
    registers,
  });
  new Gauge({
    name: 'quanta_dsr_requests',
    help: 'Data subject requests kept (a year), by status',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      const counts = await store.countByStatus();
      for (const status of REQUEST_STATUSES) this.set({ status }, counts[status]);
    },
  });
  const callbacks = new Counter({
    name: 'quanta_dsr_callbacks_total',
    help: 'Data subject request status callback tries, by outcome (delivered, retry, given_up)',
    labelNames: ['outcome'] as const,
    registers,
  });
  return {
    onStatus: (r: DsrRecord) => statuses.inc({ status: r.status, type: r.requestType }),
    onCallback: (outcome: CallbackOutcome['kind']) => callbacks.inc({ outcome }),
  };
}
