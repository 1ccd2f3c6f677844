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

/** The log's own JSON text of a record read from the log and not changed since; else undefined. */
export const loggedTextOf = (record: LogRecord): string | undefined => texts.get(record);

/** The record's envelope as JSON: the log's own text when unchanged, else serialised anew. */
export function envelopeJson(record: LogRecord): string {
  return loggedTextOf(record) ?? JSON.stringify(record);
}

/**
 * How a changed record's batch differs from the logged text it was read from, beyond `violations`
 * tags on its events (which a reader of the edits takes from the record itself). The event store
 * writes such a record as the logged text plus these differences, instead of serialising it anew.
 */
export interface TextEdits {
  /** The index in the logged batch of each event the record keeps, in the record's order. */
  readonly eventIndex: readonly number[];
  /** Positions in the record's events whose `data` is not the logged event's. */
  readonly changedData: ReadonlySet<number>;
  readonly userAttributesChanged: boolean;
  readonly userIdentitiesChanged: boolean;
}

const edits = new WeakMap<LogRecord, { text: string; edits: TextEdits }>();

/**
 * `changed`, remembered as `from`'s logged text plus `changes`. Nothing is remembered when `from`
 * carries no text; `changed` is then serialised anew like any changed record.
 */
export function withEdits(changed: LogRecord, from: LogRecord, changes: TextEdits): LogRecord {
  const text = texts.get(from);
  if (text !== undefined) edits.set(changed, { text, edits: changes });
  return changed;
}

/** The logged text a changed record came from, and how it differs from that text. */
export const editsOf = (record: LogRecord): { text: string; edits: TextEdits } | undefined => edits.get(record);
