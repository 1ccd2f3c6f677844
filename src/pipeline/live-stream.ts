import type { StoredEvent } from '../analytics/event-store.ts';
import type { Batch } from '../model/batch.ts';
import type { LogRecord } from '../model/envelope.ts';

/** A batch the data-plan stage blocked something from: its quarantine copy and where it came from. */
export interface BlockedMessage {
  record: LogRecord;
  /** The batch as received, with `context.data_plan.block_metadata`. */
  quarantined: Batch;
}

/** What the live stream shows: processed events, and the blocked data mParticle also shows there. */
export type LiveMessage = { kind: 'event'; event: StoredEvent } | { kind: 'blocked'; blocked: BlockedMessage };

export interface LiveStreamFilter {
  workspaceId: number;
  inputId?: number;
  environment?: string;
  eventTypes?: ReadonlySet<string>;
}

type Subscriber = { filter: LiveStreamFilter; send: (message: LiveMessage) => void };

/** Where watchers subscribe: the hub itself, or (on the app thread) the processor thread's hub. */
export interface LiveSubscriptions {
  /** Sends `send` every message that `filter` shows, until the returned function is called. */
  subscribe(filter: LiveStreamFilter, send: (message: LiveMessage) => void): () => void;
}

/**
 * mParticle's Live Stream: processed events, fanned out to whoever is watching. One hub, where
 * the processor runs (the runtime holds it; stages publish to it); watchers on the app thread
 * subscribe to it through the processor thread.
 */
export class LiveStreamHub implements LiveSubscriptions {
  private readonly subscribers = new Map<number, Subscriber>();
  private nextId = 1;

  subscribe(filter: LiveStreamFilter, send: (message: LiveMessage) => void): () => void {
    const id = this.nextId++;
    this.subscribers.set(id, { filter, send });
    return () => this.subscribers.delete(id);
  }

  get size(): number {
    return this.subscribers.size;
  }

  publish(event: StoredEvent): void {
    for (const { filter: f, send } of this.subscribers.values()) {
      if (!shows(f, event.workspaceId, event.inputId, event.environment)) continue;
      if (f.eventTypes !== undefined && !f.eventTypes.has(event.eventType)) continue;
      send({ kind: 'event', event });
    }
  }

  /** Shows blocked data to watchers whose filter matches the batch (and, with event types, one of its events). */
  publishBlocked(record: LogRecord, quarantined: Batch): void {
    for (const { filter: f, send } of this.subscribers.values()) {
      if (!shows(f, record.workspaceId, record.inputId, record.batch.environment)) continue;
      if (f.eventTypes !== undefined && !quarantined.events.some((e) => f.eventTypes!.has(e.event_type))) continue;
      send({ kind: 'blocked', blocked: { record, quarantined } });
    }
  }
}

function shows(f: LiveStreamFilter, workspaceId: number, inputId: number, environment: string): boolean {
  return (
    f.workspaceId === workspaceId &&
    (f.inputId === undefined || f.inputId === inputId) &&
    (f.environment === undefined || f.environment === environment)
  );
}
