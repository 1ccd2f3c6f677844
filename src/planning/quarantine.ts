import type { Batch, BatchEvent } from '../model/batch.ts';
import type { BlockedData } from './blocking.ts';
import type { BlockMetadata } from './quality-store.ts';

/** An event's id as mParticle's quarantine names it: the sender's `data.event_id`, else Quanta's. */
const eventIdOf = (event: BatchEvent, index: number, eventIdAt: (index: number) => string): string =>
  event.data.event_id === undefined || event.data.event_id === null ? eventIdAt(index) : String(event.data.event_id);

/** What the data-plan stage blocked from a batch, as mParticle's quarantine output names it. */
export function blockMetadata(original: Batch, blocked: BlockedData, eventIdAt: (index: number) => string): BlockMetadata {
  const idOf = (index: number) => eventIdOf(original.events[index]!, index, eventIdAt);
  const attributes = new Map<number, string[]>();
  for (const a of blocked.event_attributes) {
    const paths = attributes.get(a.event_index) ?? [];
    paths.push(`.${a.error_pointer.slice(1)}/${a.key}`);
    attributes.set(a.event_index, paths);
  }
  if (blocked.batch) {
    // A blocked batch is blocked whole: every event, user attribute and identity, so a backfill sends it all.
    const sent = (values: Record<string, unknown> | null | undefined) => Object.keys(values ?? {}).filter((k) => values![k] !== null && values![k] !== undefined);
    return {
      dto_version: 1,
      blocked_user_identities: sent(original.user_identities),
      blocked_device_identities: [],
      blocked_event_ids: original.events.map((_, i) => idOf(i)),
      blocked_event_attributes: [],
      blocked_user_attributes: sent(original.user_attributes),
    };
  }
  return {
    dto_version: 1,
    blocked_user_identities: Object.keys(blocked.user_identities),
    blocked_device_identities: [],
    blocked_event_ids: blocked.events.map((e) => idOf(e.event_index)),
    blocked_event_attributes: [...attributes].map(([index, paths]) => ({ event_id: idOf(index), event_attributes: paths })),
    blocked_user_attributes: Object.keys(blocked.user_attributes),
  };
}

/**
 * The quarantine copy of a batch, as mParticle's quarantine output writes it: the batch as
 * received, every event with a `data.event_id` (Quanta's event id where the sender gave none),
 * and `context.data_plan.block_metadata` naming what was blocked.
 */
export function quarantineBatch(
  original: Batch,
  plan: { planId: string; version: number },
  metadata: BlockMetadata,
  eventIdAt: (index: number) => string,
): Batch {
  const events: BatchEvent[] = original.events.map((event, i) =>
    event.data.event_id === undefined || event.data.event_id === null
      ? ({ ...event, data: { ...event.data, event_id: eventIdAt(i) } } as BatchEvent)
      : event,
  );
  return {
    ...original,
    events,
    context: {
      ...original.context,
      data_plan: { plan_id: plan.planId, plan_version: plan.version, block_metadata: metadata },
    },
  };
}

/**
 * The part of a quarantined batch a backfill sends again, as mParticle's backfill guide builds
 * it: the blocked events (with their original timestamps), the blocked user attributes and
 * identities, and — only when `withEventAttributes` — the events whose attributes were blocked,
 * whole (the guide warns this duplicates those events downstream). Without a `batch_id`, so it is
 * not taken for the original. Undefined when there is nothing to send.
 */
export function backfillBatch(quarantined: Batch, withEventAttributes: boolean): Batch | undefined {
  const meta = (quarantined.context?.data_plan as { block_metadata?: BlockMetadata } | undefined)?.block_metadata;
  if (!meta) return undefined;
  const wanted = new Set(meta.blocked_event_ids);
  if (withEventAttributes) for (const a of meta.blocked_event_attributes) wanted.add(a.event_id);
  const events = quarantined.events.filter((e) => wanted.has(String(e.data.event_id)));
  const pick = (values: Record<string, unknown> | null | undefined, keys: readonly string[]) =>
    Object.fromEntries(keys.filter((k) => values && k in values).map((k) => [k, values![k]]));
  const userAttributes = pick(quarantined.user_attributes, meta.blocked_user_attributes);
  const userIdentities = pick(quarantined.user_identities, meta.blocked_user_identities);
  if (events.length === 0 && Object.keys(userAttributes).length === 0 && Object.keys(userIdentities).length === 0) return undefined;
  const { batch_id: _batchId, context, ...rest } = quarantined as Batch & { batch_id?: unknown };
  const { block_metadata: _meta, ...dataPlan } = (context?.data_plan ?? {}) as Record<string, unknown>;
  return {
    ...rest,
    events,
    user_attributes: userAttributes,
    // The identities the user already had are sent too, so IDSync finds the same user.
    user_identities: { ...quarantined.user_identities, ...userIdentities },
    context: { ...context, data_plan: dataPlan as { plan_id: string; plan_version?: number } },
  };
}
