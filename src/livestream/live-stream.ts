import type { StoredEvent } from '../analytics/event-store.ts';
import type { Batch } from '../model/batch.ts';
import type { LogRecord } from '../model/envelope.ts';
import { ok, type Stage } from '../model/stage.ts';
import { storedEventsOf } from '../analytics/event-row.ts';

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

/** A subscription as another thread's hub is told of it: what it shows, by id. */
export interface Watcher {
  id: number;
  filter: LiveStreamFilter;
}

/**
 * mParticle's Live Stream: processed events, fanned out to whoever is watching. The processor
 * runs on its own thread, with a hub of its own that mirrors this one's {@link watchers} and
 * sends each message back to be {@link deliver}ed here.
 */
export class LiveStreamHub {
  private readonly subscribers = new Map<number, Subscriber>();
  private readonly watchersChanged = new Set<() => void>();
  private nextId = 1;

  subscribe(filter: LiveStreamFilter, send: (message: LiveMessage) => void): () => void {
    const id = this.nextId++;
    this.subscribers.set(id, { filter, send });
    this.changed();
    return () => {
      if (this.subscribers.delete(id)) this.changed();
    };
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Who watches now: each subscription's id and filter. */
  watchers(): Watcher[] {
    return [...this.subscribers].map(([id, { filter }]) => ({ id, filter }));
  }

  /** Calls `listener` whenever a subscription starts or ends. */
  onWatchersChanged(listener: () => void): () => void {
    this.watchersChanged.add(listener);
    return () => this.watchersChanged.delete(listener);
  }

  /** Hands a message to one subscription (one another thread's hub matched for it). */
  deliver(id: number, message: LiveMessage): void {
    this.subscribers.get(id)?.send(message);
  }

  private changed(): void {
    for (const listener of this.watchersChanged) listener();
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

/** The last stage: shows each processed event to live stream watchers. Costs nothing unwatched. */
export function liveStreamStage(hub: LiveStreamHub): Stage {
  return {
    name: 'live-stream',
    run(record) {
      if (hub.size > 0) for (const event of storedEventsOf(record)) hub.publish(event);
      return ok(record);
    },
  };
}
