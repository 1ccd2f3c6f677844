import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { CatalogPoint } from './catalog.ts';

/**
 * How much a workspace's Catalog keeps. mParticle drops unique event and screen names past
 * 1000 per workspace; the Catalog keeps counting the points and attributes it has, and stops
 * adding new ones past these, so a client that puts ids in event or attribute names cannot
 * grow it without bound.
 */
export const CATALOG_LIMITS = {
  dataPointsPerWorkspace: 2000,
  attributesPerDataPoint: 1000,
} as const;

/**
 * The Catalog's totals per workspace and data point, and how far into each log partition they
 * go. The catalog stage adds deltas and never reads them back; the Catalog API reads the totals.
 *
 * Exactly once: {@link apply} adds a set of deltas and moves each partition's applied offset in
 * one transaction, so after a crash the store holds either both or neither. The stage skips the
 * records at or below a partition's applied offset when the processor re-reads them.
 *
 * @example
 *   await store.apply(accumulator.drain(), new Map([[partition, lastOffset]]));
 *   const applied = (await store.appliedOffsets()).get(partition) ?? 0;
 *   const points = await store.points(workspaceId);
 */
export interface CatalogStore {
  /**
   * Adds each delta to the totals of its workspace's point with the same key (created by its
   * first delta, which gives its match, name and category; see `mergePoint`), and records each
   * partition's offset, all in one transaction. Several deltas may share a key. An offset lower
   * than the one recorded leaves it. New points and attributes past {@link CATALOG_LIMITS} are
   * not added; deltas of known ones always are.
   */
  apply(deltas: readonly CatalogPoint[], offsets: ReadonlyMap<number, number>): Promise<void>;
  /** The last log offset applied, per partition; partitions never applied are absent. */
  appliedOffsets(): Promise<Map<number, number>>;
  /** Every point of a workspace with its attributes (by name), ordered by key. */
  points(ws: WorkspaceId): Promise<CatalogPoint[]>;
  /**
   * Erases some users of one workspace from the Catalog (the store's part of a GDPR erasure):
   * every example value the users' records gave (a delta's `exampleSources` say whose each is), of
   * every point and attribute, all in one transaction. The attribute keeps its other examples, and
   * the places freed take the next new values seen. Answers how many examples it removed (0 for
   * unknown users).
   *
   * Kept: points, attribute names, counts, types, first and last seen, environments and
   * descriptions: statistics over every user, naming none and holding no value. Not found:
   * examples stored before the catalog's schema 3, which name no user; `quanta replay` rebuilds
   * the Catalog, and with it whose each example is.
   */
  eraseUsers(workspaceId: WorkspaceId, mpids: readonly Mpid[]): Promise<number>;
  /** Forgets every point and every applied offset, before a replay from the start of the log. */
  reset(): Promise<void>;
  close(): Promise<void>;
}
