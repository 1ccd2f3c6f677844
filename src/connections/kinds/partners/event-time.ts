import type { BatchEvent } from '../../../model/batch.ts';
import type { StreamBatch } from '../../stream-batch.ts';

/**
 * When an event happened (ms since the epoch): its own timestamp, else its batch's, else when
 * Quanta received the batch — mParticle's rule ("the current server time will be used if not
 * specified").
 */
export function eventTimeMs(event: BatchEvent, from: StreamBatch): number {
  return event.data.timestamp_unixtime_ms ?? from.batch.timestamp_unixtime_ms ?? from.receivedAtMs;
}

/**
 * Each session's start (ms), by `session_uuid`, from the session starts among these batches: a
 * session start's `session_start_unixtime_ms`, else its timestamp. A session whose start was
 * delivered earlier is not known here.
 */
export function sessionStarts(batches: readonly StreamBatch[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const b of batches) {
    for (const event of b.batch.events) {
      if (event.event_type !== 'session_start' || typeof event.data.session_uuid !== 'string') continue;
      const start = event.data.session_start_unixtime_ms;
      starts.set(event.data.session_uuid, typeof start === 'number' ? start : eventTimeMs(event, b));
    }
  }
  return starts;
}
