import type { ConnectionRecord } from './connection-store.ts';
import type { DeadLetter, DeliveryStore } from './delivery-store.ts';
import type { Output } from './output.ts';

/**
 * Sends dead letters again, each once, in order, with the keys they had: a delivered one leaves the
 * dead-letter store (and counts as sent), a failed one keeps its new error and one more attempt.
 * What the API's `POST .../dead-letters/replay` and `quanta replay-dead-letters` both run.
 */
export async function replayDeadLetters(
  store: DeliveryStore,
  connection: ConnectionRecord,
  output: Output,
  letters: readonly DeadLetter[],
  onEach?: (letter: DeadLetter, delivered: boolean) => void,
): Promise<{ delivered: number; failed: number }> {
  let delivered = 0;
  let failed = 0;
  for (const letter of letters) {
    try {
      if (letter.changes.length > 0) {
        if (!output.deliverChanges) throw new Error(`connection ${connection.id}'s output takes no audience membership changes`);
        await output.deliverChanges(letter.changes, letter.key);
      } else await output.deliver(letter.batches, letter.key);
      await store.resolveDeadLetter(connection.id, letter.id);
      delivered += 1;
      onEach?.(letter, true);
    } catch (error) {
      await store.failDeadLetter(connection.id, letter.id, error instanceof Error ? error.message : String(error), Date.now());
      failed += 1;
      onEach?.(letter, false);
    }
  }
  return { delivered, failed };
}
