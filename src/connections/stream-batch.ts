import type { InputId, Mpid, WorkspaceId } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import type { Batch } from '../model/batch.ts';

/**
 * One processed batch as every connection reads it from the delivery stream: the batch after the
 * processor's stages (events the data plan blocked are gone, the user's calculated attributes are
 * merged over its `user_attributes`), with where it came from and its place in the stream.
 */
export interface StreamBatch {
  /** The stream's position: each connection's cursor is the last `seq` it delivered. */
  readonly seq: number;
  readonly workspaceId: WorkspaceId;
  readonly inputId: InputId;
  readonly mpid: Mpid;
  readonly receivedAtMs: number;
  readonly batch: Batch;
  /**
   * The batch's JSON as the stream holds it (its `mpid` in it, an exact number), while the batch
   * is the stream's own: an output may send it as it is instead of serialising `batch` again.
   * Absent on a batch a connection changed (filtered, ruled).
   */
  readonly text?: string;
}

/** The stream batch with another batch (a connection's change to it): its stored `text` no longer holds. */
export function withBatch(b: StreamBatch, batch: Batch): StreamBatch {
  if (batch === b.batch) return b;
  return { seq: b.seq, workspaceId: b.workspaceId, inputId: b.inputId, mpid: b.mpid, receivedAtMs: b.receivedAtMs, batch };
}

/** The batch's JSON, MPID included: the stored text while unchanged, else serialised. */
export function batchJson(b: StreamBatch): string {
  return b.text ?? stringifyLossless({ ...b.batch, mpid: b.mpid });
}

/**
 * One field a connection's settings (or filter, rules...) cannot take, named by its path from the
 * request body (`settings.url`, `filter.data_points[2].name`), so a client fixes them all at once.
 */
export type Problem = string;

/** A parser's answer: the normalised value, or every problem it found. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };
