import type { LogRecord } from './envelope.ts';

/**
 * User attributes a stage computes for a record without changing its batch (calculated
 * attributes), for the stages after it that show or send the user's attributes (the live stream,
 * outputs): they merge them over the batch's own with {@link userAttributesOf}.
 *
 * The batch stays as logged, so the event store writes the log's own text and nothing is copied
 * per record: the computed attributes are a view of the user's values as they are when the record
 * runs, and a later record of the same user changes them. Read them while the record runs through
 * the stages; a stage that keeps a record for later (a queue) copies what it needs then. Reading
 * them later throws instead of answering another record's values.
 */
export interface ComputedAttributes {
  /** The attributes, by name; throws once they have changed for a later record. */
  read(): Readonly<Record<string, unknown>>;
}

const computed = new WeakMap<LogRecord, ComputedAttributes>();

/** The record, with attributes computed for it (see {@link ComputedAttributes}). */
export function withComputedAttributes(record: LogRecord, attributes: ComputedAttributes): LogRecord {
  computed.set(record, attributes);
  return record;
}

/** The attributes computed for the record, or undefined when none were. */
export function computedAttributesOf(record: LogRecord): Readonly<Record<string, unknown>> | undefined {
  return computed.get(record)?.read();
}

/** The user attributes as outputs see them: the batch's, with those computed for the record over them (they win, as mParticle's calculated attributes do). */
export function userAttributesOf(record: LogRecord): Record<string, unknown> {
  const over = computedAttributesOf(record);
  // Object.assign, not a spread: spreading a hundred keys costs ten times as much.
  return over === undefined ? record.batch.user_attributes : Object.assign({}, record.batch.user_attributes, over);
}
