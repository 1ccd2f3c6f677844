import type { InputId } from '../kernel/ids.ts';
import type { Input } from '../platform/platform-store.ts';
import { contractDescriptions, type FeedContract } from './feed-contract.ts';
import { feedModuleNamed } from './feed-modules.ts';

/** How long the inputs read are trusted before they are read again. */
const MAX_AGE_MS = 5_000;

/**
 * The contract each input's data is held to (its feed module's), on the processor thread. Inputs
 * are the platform store's, written on the app thread: they are read again when an input not
 * known yet sends, and when the last read is {@link MAX_AGE_MS} old (a feed whose module changed).
 *
 * @example
 *   const contracts = new FeedContracts(() => platform.inputs());
 *   contracts.contractOf(record.inputId)?.planId // 'clevertap_feed' for a CleverTap feed
 */
export class FeedContracts {
  private byInput = new Map<InputId, FeedContract | null>();
  private readAtMs = -Infinity;
  private readonly descriptions = new Map<FeedContract, ReadonlyMap<string, string>>();

  constructor(
    private readonly inputs: () => readonly Input[],
    private readonly now: () => number = Date.now,
  ) {}

  contractOf(id: InputId): FeedContract | undefined {
    const now = this.now();
    if (now - this.readAtMs >= MAX_AGE_MS || !this.byInput.has(id)) this.read(now);
    // An input not in the store (deleted) is remembered as none until the next read.
    if (!this.byInput.has(id)) this.byInput.set(id, null);
    return this.byInput.get(id) ?? undefined;
  }

  /** The descriptions of the events the input's contract documents, by the Catalog's point key. */
  descriptionsOf(id: InputId): ReadonlyMap<string, string> | undefined {
    const contract = this.contractOf(id);
    if (!contract) return undefined;
    let found = this.descriptions.get(contract);
    if (!found) this.descriptions.set(contract, (found = contractDescriptions(contract)));
    return found;
  }

  private read(now: number): void {
    this.byInput = new Map(this.inputs().map((i) => [i.id, (i.feed && feedModuleNamed(i.feed.moduleName)?.contract) ?? null]));
    this.readAtMs = now;
  }
}
