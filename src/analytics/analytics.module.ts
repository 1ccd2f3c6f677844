import { Histogram } from 'prom-client';
import type { Capability } from '../runtime/capability.ts';
import type { BatchCursor, CalculatedValueRow, EventFilter, EventStore, StoredBatch, StoredEvent } from './event-store.ts';
import { eventStoreStage } from './event-store.stage.ts';
import type { InputId, Mpid, WorkspaceId } from '../kernel/ids.ts';

/** The event store as the app thread reads it: through the processor thread, which alone opens it. */
export type EventReader = Pick<EventStore, 'count' | 'list' | 'userCount' | 'copyEvents' | 'calculatedValues' | 'batchesOf'>;

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    events: EventStore;
  }
  interface ProcessorServices {
    events: EventStore;
  }
  interface AppServices {
    events: EventReader;
  }
  interface ProcessorCalls {
    'events.count': (filter: EventFilter) => Promise<number>;
    'events.list': (filter: EventFilter, limit: number) => Promise<StoredEvent[]>;
    /** A workspace's users (of some inputs only, with `inputIds`). */
    'events.userCount': (ws: WorkspaceId, inputIds?: readonly InputId[]) => Promise<number>;
    /** Aliasing's copy of a user's events to another. */
    'events.copyEvents': (ws: WorkspaceId, from: Mpid, to: Mpid, startMs: number, endMs: number) => Promise<number>;
    /** A user's calculated values as the event store keeps them. */
    'events.calculatedValues': (ws: WorkspaceId, mpid: Mpid) => Promise<CalculatedValueRow | undefined>;
    /** A page of a user's stored batches (an access request's export). */
    'events.batchesOf': (ws: WorkspaceId, mpid: Mpid, after: BatchCursor | null, limit: number) => Promise<StoredBatch[]>;
  }
}

/** The event store for analytics (DuckDB): one row per processed event. */
export const analytics: Capability = {
  name: 'analytics',
  async processor(ctx) {
    const store = await ctx.store('events');
    const processingLag = new Histogram({
      name: 'quanta_processing_lag_seconds',
      help: 'Seconds from accepting a batch (202) to its events being durable in the event store.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 60, 120],
      registers: [ctx.metrics],
    });
    ctx.provide('events', store);
    ctx.stage(eventStoreStage({ store, processingLag }));
    // The stage's buffer is written by its flush, which the erasure's exclusive section runs first.
    ctx.eraser('events', (ws, mpids) => store.eraseUsers(ws, mpids));
    ctx.expose('events.count', (filter) => store.count(filter));
    ctx.expose('events.list', (filter, limit) => store.list(filter, limit));
    ctx.expose('events.userCount', (ws, inputIds) => store.userCount(ws, inputIds));
    ctx.expose('events.copyEvents', (ws, from, to, startMs, endMs) => store.copyEvents(ws, from, to, startMs, endMs));
    ctx.expose('events.calculatedValues', (ws, mpid) => store.calculatedValues(ws, mpid));
    ctx.expose('events.batchesOf', (ws, mpid, after, limit) => store.batchesOf(ws, mpid, after, limit));
  },
  app(ctx) {
    ctx.provide('events', {
      count: (filter) => ctx.call('events.count', filter),
      list: (filter, limit) => ctx.call('events.list', filter, limit),
      userCount: (ws, inputIds) => ctx.call('events.userCount', ws, inputIds),
      copyEvents: (ws, from, to, startMs, endMs) => ctx.call('events.copyEvents', ws, from, to, startMs, endMs),
      calculatedValues: (ws, mpid) => ctx.call('events.calculatedValues', ws, mpid),
      batchesOf: (ws, mpid, after, limit) => ctx.call('events.batchesOf', ws, mpid, after, limit),
    });
  },
};
