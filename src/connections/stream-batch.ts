import type { InputId, Mpid, WorkspaceId } from '../kernel/ids.ts';
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
}

/**
 * One field a connection's settings (or filter, rules...) cannot take, named by its path from the
 * request body (`settings.url`, `filter.data_points[2].name`), so a client fixes them all at once.
 */
export type Problem = string;

/** A parser's answer: the normalised value, or every problem it found. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };
