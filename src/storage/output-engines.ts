import type { Warehouse } from '../connections/kinds/postgres-rows.ts';
import { DeliveryFailed } from '../connections/output.ts';
import type { OutputEngines } from '../connections/output-engines.ts';
import { NatsJetStreamPublisher } from './nats/jetstream-publisher.ts';
import { classifyPgError } from './postgres/pg-errors.ts';
import { PostgresWarehouse } from './postgres/warehouse.ts';

/** A failure of PostgreSQL as the delivery retries it; anything `pg` did not throw is a bug, and goes on as it is. */
function classified(error: unknown): unknown {
  const failure = classifyPgError(error);
  return failure ? new DeliveryFailed(`PostgreSQL: ${failure.message}`, failure.retry) : error;
}

/** The warehouse with its engine's errors classified at the boundary. */
function classifiedWarehouse(warehouse: Warehouse): Warehouse {
  const guard = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      throw classified(error);
    }
  };
  return {
    load: (rows) => guard(() => warehouse.load(rows)),
    conflicts: () => guard(() => warehouse.conflicts()),
    close: () => warehouse.close(),
  };
}

/** The outputs' engines: `pg` for the postgres output, `nats` for the nats output. */
export const OUTPUT_ENGINES: OutputEngines = {
  warehouse: (target) => classifiedWarehouse(new PostgresWarehouse(target)),
  jetStream: (target) => new NatsJetStreamPublisher(target),
  close: async () => undefined,
};
