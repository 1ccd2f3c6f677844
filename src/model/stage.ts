import type { LogRecord } from './envelope.ts';

/**
 * What a stage decided about a batch. `ok` passes the (possibly new) record on; `drop` and
 * `block` end its way through the pipeline (`block` is for data kept elsewhere to be backfilled
 * later); `retry` asks the processor to run the stage again after `afterMs`, holding the
 * partition so one user's batches stay in order.
 */
export type Outcome =
  | { readonly kind: 'ok'; readonly record: LogRecord }
  | { readonly kind: 'drop'; readonly reason: string }
  | { readonly kind: 'block'; readonly reason: string }
  | { readonly kind: 'retry'; readonly afterMs: number; readonly reason: string };

export const ok = (record: LogRecord): Outcome => ({ kind: 'ok', record });
export const drop = (reason: string): Outcome => ({ kind: 'drop', reason });
export const block = (reason: string): Outcome => ({ kind: 'block', reason });
export const retry = (afterMs: number, reason: string): Outcome => ({ kind: 'retry', afterMs, reason });

/**
 * One step of the processor. Stages run in a fixed order for every record of a partition, in
 * log order. A stage must treat the record it is given as immutable (the log may share it) and
 * return a new one to change it. Side effects that must survive a crash are made durable in
 * `flush`, which the processor awaits before it commits the partition's offset; a stage whose
 * effects are not idempotent recovers with `recover` (called with each partition's committed
 * offset before processing starts).
 *
 * @example
 *   export function dropDevelopmentStage(): Stage {
 *     return { name: 'drop-development', run: (r) => (r.batch.environment === 'development' ? drop('dev') : ok(r)) };
 *   }
 */
export interface Stage {
  readonly name: string;
  /**
   * Called with each chunk of a partition's records before they are run, for work a stage can do
   * for the whole chunk at once (off the event loop, say). `run` must still work without it.
   */
  prepare?(records: readonly LogRecord[]): Promise<void>;
  run(record: LogRecord): Outcome | Promise<Outcome>;
  flush?(): Promise<void>;
  recover?(partition: number, committedOffset: number): Promise<void>;
  /** Forget everything derived, before a replay from the start of the log. */
  reset?(): Promise<void>;
  /** Release what the stage holds (threads...) when the processor stops; it may be started again. */
  close?(): Promise<void>;
}
