import type { WorkspaceId } from '../kernel/ids.ts';
import type { BatchEvent } from '../model/batch.ts';
import type { EventType } from '../model/event-types.ts';
import type { CalculatedStore } from './calculated-store.ts';
import { dataPointNameOf } from './observations.ts';
import { type ActiveAttribute, activeAttributes } from './user-values.ts';

/** One workspace's active attributes, and which of them an event can feed ({@link fedBy}). */
export interface WorkspaceAttributes {
  readonly all: readonly ActiveAttribute[];
  readonly byId: ReadonlyMap<number, ActiveAttribute>;
  /** Custom events' and screen views' attributes by event type and data point name; the others' by event type (key `''`). */
  readonly byEvent: ReadonlyMap<EventType, ReadonlyMap<string, readonly ActiveAttribute[]>>;
}

const NONE: WorkspaceAttributes = { all: [], byId: new Map(), byEvent: new Map() };

/** The attributes whose data point the event may be: of its type and, for custom events and screen views, its name. */
export function fedBy(attributes: WorkspaceAttributes, event: BatchEvent): readonly ActiveAttribute[] {
  const byName = attributes.byEvent.get(event.event_type);
  if (!byName) return NO_ATTRIBUTES;
  const name = dataPointNameOf(event);
  return (name === null ? undefined : byName.get(name ?? '')) ?? NO_ATTRIBUTES;
}

const NO_ATTRIBUTES: readonly ActiveAttribute[] = [];

/**
 * The active calculated attributes, by workspace, as a cache of the store: `refresh` reads the
 * store's revision (one read) and reloads only when a definition was written since, through any
 * connection (the Platform API writes on the app thread, the processor reads here).
 */
export class AttributeRegistry {
  private byWorkspace = new Map<WorkspaceId, WorkspaceAttributes>();
  private revision: number | undefined;

  constructor(private readonly store: Pick<CalculatedStore, 'active' | 'revision'>) {}

  /** Reloads when the store changed; true when it did. */
  async refresh(): Promise<boolean> {
    const revision = await this.store.revision();
    if (revision === this.revision) return false;
    const attributes = activeAttributes(await this.store.active());
    this.revision = revision;
    const grouped = new Map<WorkspaceId, ActiveAttribute[]>();
    for (const a of attributes) grouped.set(a.workspaceId, [...(grouped.get(a.workspaceId) ?? []), a]);
    this.byWorkspace = new Map([...grouped].map(([ws, all]) => [ws, indexed(all)]));
    return true;
  }

  of(ws: WorkspaceId): WorkspaceAttributes {
    return this.byWorkspace.get(ws) ?? NONE;
  }

  /** Every workspace's active attributes. */
  all(): ActiveAttribute[] {
    return [...this.byWorkspace.values()].flatMap((w) => w.all);
  }
}

function indexed(all: readonly ActiveAttribute[]): WorkspaceAttributes {
  const byEvent = new Map<EventType, Map<string, ActiveAttribute[]>>();
  for (const a of all) {
    const { event_type: type, event_name: name } = a.definition.datapoint;
    const named = type === 'custom_event' || type === 'screen_view';
    let byName = byEvent.get(type);
    if (!byName) byEvent.set(type, (byName = new Map()));
    const key = named ? (name ?? '') : '';
    byName.set(key, [...(byName.get(key) ?? []), a]);
  }
  return { all, byId: new Map(all.map((a) => [a.id, a])), byEvent };
}
