/** Errors of the Live Stream. */
import { defineError } from '../kernel/errors.ts';
import { EVENT_TYPES } from '../model/event-types.ts';

export const EventTypeUnknown = defineError('QUANTA_LIVESTREAM_EVENT_TYPE_UNKNOWN', {
  status: 400,
  message: (unknown: readonly string[]) => `Unknown event_type ${unknown.join(', ')}; use: ${EVENT_TYPES.join(', ')}.`,
});
