import type { WorkspaceId } from '../kernel/ids.ts';
import type { EventType } from '../model/event-types.ts';
import type { CalculatedStore } from './calculated-store.ts';
import { type ActiveAttribute, activeAttributes } from './user-values.ts';

/** One workspace's active attributes, and which of them each event type can feed. */
export interface WorkspaceAttributes {
  readonly all: readonly ActiveAttribute[];
  readonly byEventType: ReadonlyMap<EventType, readonly ActiveAttribute[]>;
  readonly byId: ReadonlyMap<number, ActiveAttribute>;
}

const NONE: WorkspaceAttributes = { all: [], byEventType: new Map(), byId: new Map() };

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
  const byEventType = new Map<EventType, ActiveAttribute[]>();
  for (const a of all) {
    const type = a.definition.datapoint.event_type;
    byEventType.set(type, [...(byEventType.get(type) ?? []), a]);
  }
  return { all, byEventType, byId: new Map(all.map((a) => [a.id, a])) };
}
