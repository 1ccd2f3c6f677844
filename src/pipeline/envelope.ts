import type { InputId, Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Batch, SourceChannel } from '../model/batch.ts';

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
