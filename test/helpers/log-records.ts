import { inputId, type Mpid, workspaceId } from '../../src/kernel/ids.ts';
import type { Batch, BatchEvent } from '../../src/model/batch.ts';
import type { LogRecord } from '../../src/model/envelope.ts';

/** A record as the processor reads it from the log: a parsed batch with its place and time. */
export function logRecord(
  batch: Partial<Batch>,
  at: { offset?: number; partition?: number; receivedAtMs?: number; workspace?: number } = {},
): LogRecord {
  return {
    workspaceId: workspaceId(at.workspace ?? 1),
    inputId: inputId(1),
    mpid: '1' as Mpid,
    receivedAtMs: at.receivedAtMs ?? 1_700_000_000_000,
    channel: 'server_to_server',
    historical: false,
    ip: null,
    dedupKey: null,
    batch: { environment: 'production', user_identities: {}, user_attributes: {}, events: [], ...batch },
    partition: at.partition ?? 0,
    offset: at.offset ?? 1,
  };
}

/** A `custom_event`, with `custom_attributes` when given (`null` included). */
export const customEvent = (name: string, attributes?: Record<string, unknown> | null, type = 'navigation'): BatchEvent => ({
  event_type: 'custom_event',
  data: { event_name: name, custom_event_type: type, ...(attributes !== undefined ? { custom_attributes: attributes } : {}) },
});
