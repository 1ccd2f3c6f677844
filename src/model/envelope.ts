import type { InputId, Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Batch, SourceChannel } from './batch.ts';

/**
 * One accepted batch as the event log keeps it: the parsed batch plus what the edge learned
 * (who sent it, when, from where, and the user it resolved to). The log is keyed by
 * `workspaceId` + `mpid`, so one user's batches are always read in the order they were accepted.
 */
export interface Envelope {
  workspaceId: WorkspaceId;
  inputId: InputId;
  mpid: Mpid;
  receivedAtMs: number;
  channel: SourceChannel;
  historical: boolean;
  ip: string | null;
  batch: Batch;
  /** `${inputId}:${source_request_id}`: a retried request with the same id is not appended twice. */
  dedupKey: string | null;
}

/** An envelope read back from the log, with its place in it. */
export interface LogRecord extends Envelope {
  partition: number;
  offset: number;
}

/**
 * The JSON text a record was read from, kept beside the record (not in it) so that a stage that
 * returns a changed record automatically loses it: text and record never disagree.
 */
const texts = new WeakMap<LogRecord, string>();

export function withText(record: LogRecord, text: string): LogRecord {
  texts.set(record, text);
  return record;
}

/** The record's envelope as JSON: the log's own text when unchanged, else serialised anew. */
export function envelopeJson(record: LogRecord): string {
  return texts.get(record) ?? JSON.stringify(record);
}
