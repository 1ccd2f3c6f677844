import type { StoredEvent } from '../analytics/event-store.ts';
import { ok, type Stage } from './stage.ts';
import { storedEventsOf } from '../analytics/event-row.ts';

export interface LiveStreamFilter {
  workspaceId: number;
  inputId?: number;
  environment?: string;
  eventTypes?: ReadonlySet<string>;
}

type Subscriber = { filter: LiveStreamFilter; send: (event: StoredEvent) => void };

/** mParticle's Live Stream: processed events, fanned out to whoever is watching. */
export class LiveStreamHub {
  private readonly subscribers = new Set<Subscriber>();

  subscribe(filter: LiveStreamFilter, send: (event: StoredEvent) => void): () => void {
    const sub = { filter, send };
    this.subscribers.add(sub);
    return () => this.subscribers.delete(sub);
  }

  get size(): number {
    return this.subscribers.size;
  }

  publish(event: StoredEvent): void {
    for (const { filter: f, send } of this.subscribers) {
      if (f.workspaceId !== event.workspaceId) continue;
      if (f.inputId !== undefined && f.inputId !== event.inputId) continue;
      if (f.environment !== undefined && f.environment !== event.environment) continue;
      if (f.eventTypes !== undefined && !f.eventTypes.has(event.eventType)) continue;
      send(event);
    }
  }
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
