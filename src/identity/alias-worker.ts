import type { Logger } from 'pino';
import { PollingJob } from '../kernel/poller.ts';
import type { EventStore } from '../analytics/event-store.ts';
import type { AliasRegistry } from './aliasing.ts';
import type { AliasRecord } from './identity-store.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';

export interface AliasWorkerDeps {
  registry: AliasRegistry;
  /** Aliasing's profile effects (the profiles capability's `ProfileService.alias`). */
  profiles: { alias(ws: WorkspaceId, source: Mpid, destination: Mpid): Promise<void> };
  events: Pick<EventStore, 'copyEvents'>;
  logger: Logger;
  pollMs?: number;
}

/**
 * Applies alias requests once they are due: the profile effects, then the copy of the source's
 * events in the request's time range to the destination. A request that fails is retried on
 * the next poll; the event copy never copies copies, and a completed request is not run again.
 */
export class AliasWorker extends PollingJob {
  constructor(private readonly deps: AliasWorkerDeps) {
    super(deps.pollMs ?? 1000);
  }

  protected async runOnce(): Promise<void> {
    for (const alias of this.deps.registry.due()) {
      try {
        const status = await this.deps.registry.settle(alias, () => this.apply(alias));
        this.deps.logger.info({ alias: alias.id, status, detail: alias.detail }, 'alias request settled');
      } catch (error) {
        this.deps.logger.error({ err: error, alias: alias.id }, 'alias request failed; it will be retried');
      }
    }
  }

  /** Re-applies completed requests after a replay rebuilt the derived stores from the log. */
  async reapplyCompleted(): Promise<void> {
    for (const alias of this.deps.registry.completed()) await this.apply(alias);
  }

  private async apply(alias: AliasRecord): Promise<void> {
    const { workspaceId: ws, sourceMpid, destinationMpid } = alias;
    await this.deps.profiles.alias(ws, sourceMpid, destinationMpid);
    await this.deps.events.copyEvents(ws, sourceMpid, destinationMpid, alias.startMs, alias.endMs);
  }
}
