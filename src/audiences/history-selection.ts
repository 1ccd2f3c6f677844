import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { AudienceNode } from './definition.ts';

/**
 * An audience definition asked of the event store's history ({@link AudienceHistory}): a standard
 * audience's calculation, or an estimate of any audience's size. The store decides each user of the
 * workspace by the same rules as the real-time evaluation (`evaluate.ts`), from what it holds:
 *
 * - event criteria over the user's stored events (never aliasing's copies) in `[fromMs, toMs)`;
 * - user attributes, identities, consent, device fields: per name, the latest batch of the user that
 *   carried it (as the profile keeps them; removals of attributes are not seen);
 * - first seen: the user's earliest event time, else their earliest batch's arrival;
 * - calculated attributes: the values the calculated attributes capability last wrote there;
 * - `audience` nodes: `members` below, which the caller reads from the audience store.
 */
export interface AudienceSelection {
  readonly workspaceId: WorkspaceId;
  readonly definition: AudienceNode;
  /** Events at or after this instant only; null: from the first. */
  readonly fromMs: number | null;
  /** Events before this instant only; null: to the last. */
  readonly toMs: number | null;
  /** The moment recency windows (`within`) end at. */
  readonly nowMs: number;
  /** The members of each audience the definition names. */
  readonly members: ReadonlyMap<number, readonly Mpid[]>;
  /** Only the users of this sample (1-100 per cent, by a hash of the MPID); every user when absent. */
  readonly samplePercent?: number;
}

/** What a selection found: how many users it decided (of the sample, with one) and how many it selected. */
export interface SelectionCounts {
  readonly users: number;
  readonly members: number;
}

/**
 * The event store's history as audiences ask it (storage role "event store": the DuckDB adapter
 * of `EventStore` serves it too, on the processor thread).
 *
 * Contract (`storage/contracts/audience-history.contract.ts`): `selectUsers` decides every user of
 * the workspace (of the sample) with the rules of `audiences/evaluate.ts` over what the store holds.
 */
export interface AudienceHistory {
  /**
   * The users an audience definition selects ({@link AudienceSelection}), decided in the store in
   * one query: their MPIDs handed to `onChunk` in numeric order, a chunk at a time; `onProgress`
   * receives the query's progress (0-100) while it runs.
   */
  selectUsers(selection: AudienceSelection, onChunk: (mpids: Mpid[]) => Promise<void>, onProgress?: (percent: number) => void): Promise<SelectionCounts>;
  close(): Promise<void>;
}
