import type { JetStreamPublisher, JetStreamTarget } from './kinds/nats-publisher.ts';
import type { Warehouse, WarehouseTarget } from './kinds/postgres-rows.ts';

/**
 * The engines outputs outside Quanta's own storage talk to, as ports: `storage/output-engines.ts`
 * adapts each (the only code that imports their client libraries), and the connections capability
 * opens them as the store kind `outputEngines`. Each adapter throws `DeliveryFailed`, classified.
 */
export interface OutputEngines {
  /** A PostgreSQL warehouse schema (the `postgres` output). */
  warehouse(target: WarehouseTarget): Warehouse;
  /** A NATS JetStream publisher (the `nats` output). */
  jetStream(target: JetStreamTarget): JetStreamPublisher;
  close(): Promise<void>;
}
