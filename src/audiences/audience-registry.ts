import type { WorkspaceId } from '../kernel/ids.ts';
import type { Audience, AudienceStore } from './audience-store.ts';
import { audiencesNamed } from './definition.ts';
import { planTracks, type TrackPlan } from './event-tracks.ts';

/** A workspace's active real-time audiences, each after the audiences it names, with the event tracks they need. */
export interface WorkspaceAudiences {
  readonly ordered: readonly Audience[];
  readonly byId: ReadonlyMap<number, Audience>;
  readonly tracks: TrackPlan;
}

const NONE: WorkspaceAudiences = { ordered: [], byId: new Map(), tracks: planTracks([]) };

/**
 * The active real-time audiences by workspace, as a cache of the store: `refresh` reads the
 * store's revision (one read) and reloads only when a definition was written since, through any
 * connection (the Platform API writes on the app thread, the processor reads here).
 */
export class AudienceRegistry {
  private byWorkspace = new Map<WorkspaceId, WorkspaceAudiences>();
  private revision: number | undefined;

  constructor(private readonly store: Pick<AudienceStore, 'active' | 'revision'>) {}

  /** Reloads when the store changed; true when it did. */
  async refresh(): Promise<boolean> {
    const revision = await this.store.revision();
    if (revision === this.revision) return false;
    const grouped = new Map<WorkspaceId, Audience[]>();
    for (const a of await this.store.active()) {
      if (a.kind === 'realtime') grouped.set(a.workspaceId, [...(grouped.get(a.workspaceId) ?? []), a]);
    }
    this.revision = revision;
    this.byWorkspace = new Map([...grouped].map(([ws, all]) => [ws, indexed(all)]));
    return true;
  }

  of(ws: WorkspaceId): WorkspaceAudiences {
    return this.byWorkspace.get(ws) ?? NONE;
  }

  /** Every workspace's active real-time audiences. */
  all(): Audience[] {
    return [...this.byWorkspace.values()].flatMap((w) => w.ordered);
  }
}

function indexed(all: readonly Audience[]): WorkspaceAudiences {
  const byId = new Map(all.map((a) => [a.id, a]));
  return { ordered: dependenciesFirst(all, byId), byId, tracks: planTracks(all) };
}

/**
 * The audiences ordered so that each comes after those it names (its verdict reads theirs, just
 * made); definitions are checked for cycles when written, and one met anyway is broken where found.
 */
function dependenciesFirst(all: readonly Audience[], byId: ReadonlyMap<number, Audience>): Audience[] {
  const ordered: Audience[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (a: Audience) => {
    if (state.has(a.id)) return;
    state.set(a.id, 'visiting');
    for (const id of audiencesNamed(a.definition)) {
      const named = byId.get(id);
      if (named) visit(named);
    }
    state.set(a.id, 'done');
    ordered.push(a);
  };
  for (const a of all) visit(a);
  return ordered;
}
