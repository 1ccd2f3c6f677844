import { type LogRecord, withEdits } from '../model/envelope.ts';
import { CountedOffsets } from '../model/counted-offsets.ts';
import { ok, type Stage } from '../model/stage.ts';
import type { CalculatedEngine } from './calculated-engine.ts';
import type { CalculatedStore, RevisionState } from './calculated-store.ts';
import { userValues } from './user-values.ts';
import { newState, observe, prune } from './windows.ts';

export interface CalculatedStageDeps {
  engine: CalculatedEngine;
  store: CalculatedStore;
  now?: () => number;
}

/**
 * Calculated attributes, computed as events arrive (after the profile stage, so blocked data is
 * never counted): each active attribute of the batch's workspace observes each event, in log
 * order, into the user's live state; the batch then carries the user's values in its
 * `user_attributes` (mParticle enriches batches with calculated attributes, which win over a user
 * attribute of the same name), so the event store and the live stream show them.
 *
 * Exactly once: the live states and each partition's last counted offset are written in one
 * transaction ({@link CountedOffsets}); a record re-run after a crash is enriched again but not
 * counted again. A revision is counted only past its handover (see `CalculatedEngine`).
 */
export function calculatedStage(deps: CalculatedStageDeps): Stage {
  const { engine, store } = deps;
  const now = deps.now ?? Date.now;
  const counted = new CountedOffsets();
  let last: Promise<void> = Promise.resolve();

  async function write(): Promise<void> {
    await engine.adopted();
    const dirty = engine.takeDirty();
    const offsets = counted.take();
    if (dirty.length === 0 && offsets.size === 0) return;
    const at = now();
    const live = dirty.map((u) => ({ workspaceId: u.workspaceId, mpid: u.mpid, states: activeStates(u.workspaceId, u.states, at) }));
    try {
      await store.record({ live, offsets });
    } catch (error) {
      engine.putBack(dirty);
      counted.putBack(offsets);
      throw error;
    }
    counted.saved(offsets);
    engine.forgetClean();
  }

  /** The states of revisions still active, pruned of buckets that left their window. */
  function activeStates(ws: LogRecord['workspaceId'], states: Map<number, RevisionState>, at: number): Map<number, RevisionState> {
    const kept = new Map<number, RevisionState>();
    for (const attribute of engine.registry.of(ws).all) {
      const held = states.get(attribute.id);
      if (held?.revision === attribute.revision) kept.set(attribute.id, { revision: held.revision, state: prune(attribute.definition, held.state, at) });
    }
    return kept;
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
      const { stored, live } = await engine.user(record.workspaceId, record.mpid);
      if (counted.claim(record)) {
        for (const event of record.batch.events) {
          for (const attribute of attributes.byEventType.get(event.event_type) ?? []) {
            if (!engine.counts(attribute, record)) continue;
            const held = live.states.get(attribute.id);
            const before = held?.revision === attribute.revision ? held.state : newState(attribute.definition);
            const after = observe(attribute.definition, before, event, record.batch, record.receivedAtMs);
            if (after === before) continue;
            live.states.set(attribute.id, { revision: attribute.revision, state: after });
            live.dirty = true;
          }
        }
      }
      engine.ran(record);
      const values = userValues(attributes.all, { ...stored, live: live.states }, record.receivedAtMs);
      if (Object.keys(values).length === 0) return ok(record);
      const batch = { ...record.batch, user_attributes: { ...record.batch.user_attributes, ...values } };
      return ok(
        withEdits({ ...record, batch }, record, {
          eventIndex: record.batch.events.map((_, i) => i),
          changedData: new Set(),
          userAttributesChanged: true,
          userIdentitiesChanged: false,
        }),
      );
    },
    flush() {
      last = last.catch(() => undefined).then(write);
      return last;
    },
    async recover(partition, committed) {
      engine.recovered(partition, committed);
      counted.load(await store.appliedOffsets());
    },
    async reset() {
      await last.catch(() => undefined);
      counted.reset();
      engine.reset();
      await store.reset();
    },
  };
}
