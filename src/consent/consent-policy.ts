import type { WorkspaceId } from '../kernel/ids.ts';
import { ANY_PURPOSE, type ConsentRules, type RefusedConsent } from './consent-merge.ts';
import type { ConsentStore } from './consent-store.ts';
import { consentRulesOf, DEFAULT_VALUES } from './privacy-settings.ts';

/** Distinct refusals logged, at most (the counter counts them all). */
const MAX_TOLD = 10_000;

/**
 * The consent rules of every workspace where the profile stage applies them (the processor
 * thread), as a cache of the consent store: `refresh` reads the store's revision (one read, once
 * per chunk of records) and reloads only when the Platform API wrote something since, so a
 * batch processed after a purpose was added is held to it, with no message to miss.
 */
export class ConsentPolicy {
  private byWorkspace = new Map<WorkspaceId, ConsentRules>();
  private revision: number | undefined;

  private readonly told = new Set<string>();

  constructor(
    private readonly store: Pick<ConsentStore, 'all' | 'revision'>,
    /** Told of consent a profile did not take the first time a workspace sends it for a purpose (a log line), and every time (a counter). */
    private readonly onRefused: { first(ws: WorkspaceId, refused: RefusedConsent): void; each(refused: RefusedConsent): void } = { first: () => undefined, each: () => undefined },
  ) {}

  /** Reloads when the store changed; true when it did. */
  async refresh(): Promise<boolean> {
    const revision = await this.store.revision();
    if (revision === this.revision) return false;
    const stored = await this.store.all();
    this.byWorkspace = new Map(
      stored.map((s) => [s.workspaceId, consentRulesOf({ workspaceId: s.workspaceId, ...(s.values ?? DEFAULT_VALUES), gdprPurposes: s.purposes, updatedAtMs: s.updatedAtMs })]),
    );
    this.revision = revision;
    return true;
  }

  /** Reports consent of a batch the profile did not take (see the constructor's `onRefused`). */
  refused(ws: WorkspaceId, refused: readonly RefusedConsent[]): void {
    for (const r of refused) {
      this.onRefused.each(r);
      const key = `${ws}\u0000${r.regulation}\u0000${r.purpose}\u0000${r.why}`;
      if (this.told.has(key) || this.told.size >= MAX_TOLD) continue;
      this.told.add(key);
      this.onRefused.first(ws, r);
    }
  }

  /** The workspace's rules as of the last refresh (any purpose while it defined none). */
  rulesFor(ws: WorkspaceId): ConsentRules {
    return this.byWorkspace.get(ws) ?? ANY_PURPOSE;
  }
}
