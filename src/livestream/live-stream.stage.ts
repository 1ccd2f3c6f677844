import { storedEventsOf } from '../analytics/event-row.ts';
import type { StoredEvent } from '../analytics/event-store.ts';
import { userAttributesOf } from '../model/enrichment.ts';
import { ok, type Stage } from '../model/stage.ts';

/** Where the stage shows events: the live stream's hub (`LiveStreamHub`, which the runtime holds). */
export interface EventPublisher {
  /** Watchers subscribed now. */
  readonly size: number;
  publish(event: StoredEvent): void;
}

/**
 * The last stage: shows each processed event to live stream watchers, with the user attributes
 * computed for it (calculated attributes) over the batch's. Costs nothing unwatched.
 */
export function liveStreamStage(hub: EventPublisher): Stage {
  return {
    name: 'live-stream',
    run(record) {
      if (hub.size === 0) return ok(record);
      const userAttributes = userAttributesOf(record);
      for (const event of storedEventsOf(record)) hub.publish({ ...event, userAttributes });
      return ok(record);
    },
  };
}
