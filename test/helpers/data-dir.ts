import { CAPABILITIES } from '../../src/capabilities.ts';
import { replay, type ReplayResult } from '../../src/cli/replay.ts';
import type { Config } from '../../src/config/config.ts';
import type { StoreKinds } from '../../src/runtime/capability.ts';
import { openStorage } from '../../src/storage/engines.ts';

/** `quanta replay` on a stopped Quanta's data dir, as the command runs it. */
export function replayDataDir(config: Readonly<Config>): Promise<ReplayResult> {
  return replay(config, { capabilities: CAPABILITIES, storage: openStorage(config, 'cli'), progress: false });
}

/** Opens the stores of a stopped Quanta's data dir, runs `fn` with the kinds it names, and closes them. */
export async function withStores<K extends keyof StoreKinds, T>(
  config: Readonly<Config>,
  kinds: readonly K[],
  fn: (stores: Pick<StoreKinds, K>) => Promise<T>,
): Promise<T> {
  const storage = openStorage(config, 'cli');
  try {
    const stores = {} as Pick<StoreKinds, K>;
    for (const kind of kinds) stores[kind] = await storage.open(kind);
    return await fn(stores);
  } finally {
    await storage.close();
  }
}
