import { Presets, SingleBar } from 'cli-progress';
import type { Config } from '../config/config.ts';
import { replayDeadLetters } from '../connections/dead-letters.ts';
import { outputKinds } from '../connections/kinds/index.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Storage } from '../runtime/storage.ts';

export interface ReplayDeadLettersOptions {
  connection: number;
  workspace: number;
  /** Only these dead letters (default: all of the connection's). */
  ids?: number[];
  progress: boolean;
}

/** An error the CLI prints as is: it already says what to do. */
export class ReplayDeadLettersError extends Error {}

/**
 * `quanta replay-dead-letters`: sends a connection's dead letters again, each once, in order, with
 * a progress bar, straight from the data dir's stores (a running Quanta may go on meanwhile: the
 * delivery file is shared). Delivered ones leave the dead-letter store; failed ones stay.
 */
export async function replayDeadLettersCommand(
  config: Readonly<Config>,
  o: ReplayDeadLettersOptions,
  storage: Storage,
): Promise<{ replayed: number; delivered: number; failed: number }> {
  try {
    const ws = workspaceId(o.workspace);
    const connections = await storage.open('connections');
    const delivery = await storage.open('delivery');
    const kinds = outputKinds(await storage.open('outputEngines'));
    const connection = connections.connection(ws, o.connection);
    if (!connection) throw new ReplayDeadLettersError(`Workspace ${ws} has no connection ${o.connection}; GET /platform/v2/workspaces/${ws}/connections lists them.`);
    const record = connections.output(ws, connection.outputId)!;
    const kind = kinds.get(record.kind);
    if (!kind) throw new ReplayDeadLettersError(`Output ${record.id} is of the kind "${record.kind}", which this Quanta does not know.`);
    const letters = await delivery.deadLettersById(connection.id, o.ids);
    const bar = o.progress ? new SingleBar({ format: 'replaying dead letters [{bar}] {value}/{total} ({failed} failed) {eta_formatted} left' }, Presets.shades_classic) : undefined;
    bar?.start(letters.length, 0, { failed: 0 });
    let failed = 0;
    const output = kind.open(record.settings, { timeoutMs: config.delivery.timeoutMs });
    try {
      const result = await replayDeadLetters(delivery, connection, output, letters, (_letter, delivered) => {
        if (!delivered) failed += 1;
        bar?.increment(1, { failed });
      });
      return { replayed: letters.length, ...result };
    } finally {
      bar?.stop();
      await output.close();
    }
  } finally {
    await storage.close();
  }
}
