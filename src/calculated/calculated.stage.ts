import type { CalculatedValueRow, EventStore } from '../analytics/event-store.ts';
import type { LogRecord } from '../model/envelope.ts';
import { withComputedAttributes } from '../model/enrichment.ts';
import { CountedOffsets } from '../model/counted-offsets.ts';
import { ok, type Stage } from '../model/stage.ts';
import { fedBy, type WorkspaceAttributes } from './attribute-registry.ts';
import type { CachedUser, CalculatedEngine } from './calculated-engine.ts';
import type { CalculatedStore, LiveState } from './calculated-store.ts';
import { currentValues } from './current-values.ts';
import type { CalculatedValue } from './calculations.ts';
import { newState, observeInto, prune } from './windows.ts';

export interface CalculatedStageDeps {
  engine: CalculatedEngine;
  store: CalculatedStore;
  /** Where analytics reads users' values: the event store (its `putCalculatedValues`), written with the live states. */
  values: Pick<EventStore, 'putCalculatedValues'>;
  /** The event log (its `read`), read again at recovery: what was counted after the last write is counted again from it. */
  log: { read(partition: number, afterOffset: number, limit: number): Promise<LogRecord[]> };
  /** How often live states are written (at most; and when the processor stops). */
  writeEveryMs?: number;
  /** Live states are written sooner once this many users have changed (what memory holds unwritten is bounded). */
  writeAtUsers?: number;
  now?: () => number;
}

/** Records read per round when counting again at recovery. */
const RECOVERY_CHUNK = 2000;

/**
 * Calculated attributes, computed as events arrive (after the profile stage, so blocked data is
 * never counted): each active attribute of the batch's workspace observes each event, in log
 * order, into the user's live state. The record then carries the user's values as computed
 * attributes (`model/enrichment.ts`), which the stages after it that show or send the batch
 * (the live stream) merge over its `user_attributes` (mParticle enriches batches with calculated
 * attributes, which win over a user attribute of the same name); the batch itself stays as
 * logged, so the event store stores the log's own text and nothing is copied per batch. The
 * event store keeps each user's current values instead (`calculated_values`), put with each
 * write of the live states below: analytics reads them there.
 *
 * Exactly once, written behind: live states change with almost every batch, so they are written
 * every `writeEveryMs` (30 s), sooner once `writeAtUsers` (20,000) users changed, and when the
 * processor stops, not at each flush: the states of an active user are then written once for many
 * of its batches. Each write holds only the states that changed, with each partition's last
 * counted offset, in one transaction ({@link CountedOffsets}). The processor may
 * commit past what is written; after a crash `recover` counts again, from the log, the records
 * between the last write and the committed offset, so the states are as if nothing had happened,
 * and records re-run past the committed offset are enriched again but not counted again. A
 * revision is counted only past its handover (see `CalculatedEngine`).
 */
export function calculatedStage(deps: CalculatedStageDeps): Stage {
  const { engine, store } = deps;
  const now = deps.now ?? Date.now;
  const counted = new CountedOffsets();
  const writeEveryMs = deps.writeEveryMs ?? 30_000;
  const writeAtUsers = deps.writeAtUsers ?? 20_000;
  let last: Promise<void> = Promise.resolve();
  let writtenAt = now();
  /** Whether recovery has read the store's offsets and definitions (once, for every partition). */
  let recovered = false;

  async function write(): Promise<void> {
    await engine.adopted();
    const taken = engine.takeDirty();
    const offsets = counted.take();
    if (taken.length === 0 && offsets.size === 0) return;
    const at = now();
    const live = liveStates(taken, at);
    const values = valueRowsOf(taken, at);
    try {
      // Right after taking them (no await between): a user read again meanwhile would get states older than those taken.
      await store.record({ live, offsets });
    } catch (error) {
      engine.putBack(taken);
      counted.putBack(offsets);
      throw error;
    }
    try {
      // Derived from the states: a crash before this leaves these users' values as they were, until they next change.
      await deps.values.putCalculatedValues(values);
    } catch (error) {
      // Written again, states and values, with the next write.
      engine.putBack(taken);
      throw error;
    }
    counted.saved(offsets);
    engine.trim();
  }

  /** The changed live states of revisions still active, pruned of buckets that left their window (in memory too). */
  function liveStates(taken: readonly { user: CachedUser; ids: readonly number[] }[], at: number): LiveState[] {
    const live: LiveState[] = [];
    for (const { user, ids } of taken) {
      const active = engine.registry.of(user.workspaceId);
      for (const id of ids) {
        const attribute = active.byId.get(id);
        const held = user.state.live.get(id);
        if (!attribute || held?.revision !== attribute.revision) continue;
        const state = prune(attribute.definition, held.state, at);
        if (state !== held.state) user.state.live.set(id, { revision: held.revision, state });
        live.push({ workspaceId: user.workspaceId, mpid: user.mpid, id, revision: held.revision, state });
      }
    }
    return live;
  }

  /**
   * The event store's rows of the changed users' values: their current values brought up to date.
   * A user whose base states changed in the store (`stale`, being activated) has them only once
   * read again: its attributes are marked changed again, for the next write.
   */
  function valueRowsOf(taken: readonly { user: CachedUser; ids: readonly number[] }[], at: number): CalculatedValueRow[] {
    return taken.flatMap(({ user, ids }) => {
      if (user.stale) {
        for (const id of ids) engine.changed(user, id);
        return [];
      }
      const values = valuesNow(user, engine.registry.of(user.workspaceId), at);
      // A copy: the stage goes on changing the user's values before they are put.
      return [{ workspaceId: user.workspaceId, mpid: user.mpid, values: Object.assign({}, values), asOfMs: at }];
    });
  }

  /** The user's current values at `at`, computed again only where states changed or windows moved since. */
  function valuesNow(user: CachedUser, attributes: WorkspaceAttributes, at: number): Readonly<Record<string, CalculatedValue>> {
    user.values = currentValues(user.values, user.state, attributes, user.unvalued, at);
    user.unvalued.clear();
    return user.values.byName;
  }

  /** Counts a record's events into the user's live states. */
  function count(record: LogRecord, user: CachedUser, attributes: WorkspaceAttributes): void {
    for (const event of record.batch.events) {
      for (const attribute of fedBy(attributes, event)) {
        if (!engine.counts(attribute, record)) continue;
        // The live states are the stage's alone: counted in place.
        const held = user.state.live.get(attribute.id);
        if (held?.revision === attribute.revision) {
          if (!observeInto(attribute.definition, held.state, event, record.batch, record.receivedAtMs)) continue;
        } else {
          const state = newState(attribute.definition);
          if (!observeInto(attribute.definition, state, event, record.batch, record.receivedAtMs)) continue;
          user.state.live.set(attribute.id, { revision: attribute.revision, state });
        }
        engine.changed(user, attribute.id);
        user.unvalued.add(attribute.id);
        user.changes += 1;
      }
    }
  }

  /**
   * The user's values when `record` ran, computed when first read (most records are never shown
   * or sent: nothing is computed for them); refused once a later record changed the user's states.
   */
  function valuesView(record: LogRecord, user: CachedUser, attributes: WorkspaceAttributes) {
    const changes = user.changes;
    return {
      read: () => {
        if (user.changes !== changes) throw new Error(`The calculated values of record ${record.partition}/${record.offset} were read after a later record changed them`);
        return valuesNow(user, attributes, record.receivedAtMs);
      },
    };
  }

  return {
    name: 'calculated-attributes',
    async prepare(records) {
      await engine.refresh();
      await engine.load(records);
    },
    async run(record) {
      const attributes = engine.registry.of(record.workspaceId);
      if (attributes.all.length === 0) {
        engine.ran(record);
        return ok(record);
      }
      const user = await engine.user(record.workspaceId, record.mpid);
      if (counted.claim(record)) count(record, user, attributes);
      engine.ran(record);
      return ok(withComputedAttributes(record, valuesView(record, user, attributes)));
    },
    flush() {
      if (now() - writtenAt < writeEveryMs && engine.changedUsers < writeAtUsers) return last;
      writtenAt = now();
      last = last.catch(() => undefined).then(write);
      return last;
    },
    async close() {
      last = last.catch(() => undefined).then(write);
      await last;
    },
    async recover(partition, committed) {
      engine.recovered(partition, committed);
      if (!recovered) {
        counted.load(await store.appliedOffsets());
        await engine.refresh({ adopt: false });
        recovered = true;
      }
      // What was counted after the last write and before the crash, counted again.
      for (let after = counted.appliedOf(partition); after < committed; ) {
        const records = await deps.log.read(partition, after, RECOVERY_CHUNK);
        if (records.length === 0) break;
        for (const record of records) {
          if (record.offset > committed) break;
          const attributes = engine.registry.of(record.workspaceId);
          if (attributes.all.length > 0 && counted.claim(record)) count(record, await engine.user(record.workspaceId, record.mpid), attributes);
        }
        after = records.at(-1)!.offset;
      }
    },
    async reset() {
      await last.catch(() => undefined);
      counted.reset();
      engine.reset();
      await store.reset();
      recovered = true;
    },
  };
}

