import { storedEventsOf } from '../analytics/event-row.ts';
import type { StoredEvent } from '../analytics/event-store.ts';
import { ok, type Stage } from '../model/stage.ts';

/** Where the stage shows events: the live stream's hub (`LiveStreamHub`, which the runtime holds). */
export interface EventPublisher {
  /** Watchers subscribed now. */
  readonly size: number;
  publish(event: StoredEvent): void;
}

/** The last stage: shows each processed event to live stream watchers. Costs nothing unwatched. */
export function liveStreamStage(hub: EventPublisher): Stage {
  return {
    name: 'live-stream',
    run(record) {
      if (hub.size > 0) for (const event of storedEventsOf(record)) hub.publish(event);
      return ok(record);
    },
  };
}
