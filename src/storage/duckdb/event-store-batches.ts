import type { StoredBatch } from '../../analytics/event-store.ts';

/**
 * `batchesOf`: one page of a user's batches after a log place, `($1 workspace, $2 mpid,
 * $3 partition, $4 offset, $5 limit)`, each with its own events (not aliasing's copies) as JSON
 * text in their order. The page is chosen first, so only its batches' events are read.
 */
export const BATCHES_OF = `
  WITH page AS (
    SELECT partition, log_offset, mpid, epoch_ms(received_at) AS rcv, source_request_id, user_attributes, user_identities,
           device_info, application_info, consent_state, header
    FROM batches
    WHERE workspace_id = $1 AND mpid = CAST($2 AS BIGINT) AND (partition > $3 OR (partition = $3 AND log_offset > $4))
    ORDER BY partition, log_offset
    LIMIT $5
  ), evs AS (
    SELECT e.partition, e.log_offset,
           string_agg(json_object('event_type', e.event_type, 'data', e.data)::VARCHAR, ',' ORDER BY e.event_index) AS events
    FROM events e SEMI JOIN page p ON e.partition = p.partition AND e.log_offset = p.log_offset
    WHERE e.workspace_id = $1 AND e.mpid = CAST($2 AS BIGINT) AND e.aliased_from IS NULL
    GROUP BY e.partition, e.log_offset
  )
  SELECT p.partition, p.log_offset, p.rcv, p.mpid::VARCHAR, evs.events, p.device_info::VARCHAR, p.application_info::VARCHAR,
         p.user_attributes::VARCHAR, p.user_identities::VARCHAR, p.consent_state::VARCHAR, p.source_request_id, p.header::VARCHAR
  FROM page p LEFT JOIN evs USING (partition, log_offset)
  ORDER BY p.partition, p.log_offset`;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * One row of {@link BATCHES_OF} as a {@link StoredBatch}: the batch's JSON text assembled from
 * the stored JSON texts (valid JSON each, so joining them is valid JSON), in the JSON reference's
 * order of fields. The header's fields come last, those it holds as null left out.
 */
export function storedBatchOf(row: readonly unknown[]): StoredBatch {
  const [partition, offset, receivedAtMs, mpid, events, device, application, attributes, identities, consent, requestId, header] = row;
  const fields: string[] = [`"events":[${text(events) ?? ''}]`];
  const put = (name: string, json: string | null) => {
    if (json !== null) fields.push(`${JSON.stringify(name)}:${json}`);
  };
  put('device_info', text(device));
  put('application_info', text(application));
  put('user_attributes', text(attributes) ?? '{}');
  put('user_identities', text(identities) ?? '{}');
  put('consent_state', text(consent));
  put('source_request_id', requestId === null || requestId === undefined ? null : JSON.stringify(String(requestId)));
  put('mpid', String(mpid));
  // The header is small (an ip, times, a data plan's id and version): parsed only to leave its nulls out.
  for (const [name, value] of Object.entries(JSON.parse(text(header) ?? '{}') as Record<string, unknown>)) {
    if (value !== null) put(name, JSON.stringify(value));
  }
  return { partition: Number(partition), logOffset: Number(offset), receivedAtMs: Number(receivedAtMs), json: `{${fields.join(',')}}` };
}
