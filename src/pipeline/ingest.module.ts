import { Counter } from 'prom-client';
import { RateLimiter } from '../platform/rate-limiter.ts';
import type { Capability } from '../runtime/capability.ts';
import { IngestService } from './ingest.ts';

declare module '../runtime/capability.ts' {
  interface AppServices {
    /** The write path every source ingests through: validate, resolve the user, append durably. */
    ingest: IngestService;
  }
}

/** The write path: the sources' batches are validated, resolved by IDSync and made durable in the log. */
export const ingest: Capability = {
  name: 'ingest',
  async app(ctx) {
    const registers = [ctx.metrics];
    const batches = new Counter({ name: 'quanta_batches_accepted_total', help: 'Event batches made durable in the event log.', labelNames: ['input'] as const, registers });
    const events = new Counter({ name: 'quanta_events_accepted_total', help: 'Events made durable in the event log.', labelNames: ['input'] as const, registers });
    const duplicates = new Counter({
      name: 'quanta_batches_duplicate_total',
      help: 'Batches not appended again because their source_request_id was seen before.',
      registers,
    });
    ctx.provide(
      'ingest',
      new IngestService({
        log: await ctx.store('log'),
        resolver: ctx.use('identityResolver'),
        limits: ctx.config.limits,
        rateLimiter: new RateLimiter(),
        onAccepted: (input, r) => {
          const label = { input: String(input.id) };
          batches.inc(label, r.batches - r.duplicates);
          events.inc(label, r.events);
          duplicates.inc(r.duplicates);
        },
      }),
    );
  },
};
