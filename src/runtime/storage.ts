import type { StoreKinds } from './capability.ts';

/**
 * Who opens a data dir: the app thread (appends to the log), the processor thread (reads and
 * commits the log; the only one to open the event store while Quanta runs), or a CLI command run
 * while Quanta is stopped (everything).
 */
export type StorageRole = 'app' | 'processor' | 'cli';

/**
 * The stores of one thread, by kind (storage/engines.ts picks each kind's engine). A store is
 * opened, and migrated to its latest schema, when first asked for; `close` closes them all.
 */
export interface Storage {
  readonly role: StorageRole;
  open<K extends keyof StoreKinds>(kind: K): Promise<StoreKinds[K]>;
  /** Every kind this engine set has, for commands that open them all (`quanta migrate`). */
  kinds(): (keyof StoreKinds)[];
  /** The stores opened so far. */
  opened(): Partial<StoreKinds>;
  /** Closes every store opened, latest first. */
  close(): Promise<void>;
}
