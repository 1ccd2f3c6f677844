import type { Logger } from 'pino';
import type { AudienceStore } from '../audiences/audience-store.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { AudienceChange } from './audience-change.ts';
import type { ConnectionRecord } from './connection-store.ts';
import type { DeliveryOptions } from './delivery.ts';
import { DeliveryLoop, Stopped } from './delivery-loop.ts';
import type { ChunkDone, DeadLetterAppend, DeliveryCounts, DeliveryStore } from './delivery-store.ts';
import type { Output } from './output.ts';
import type { DeliveryEvents } from './retrier.ts';

/** The cursor of an audience connection whose current members were not sent yet. */
const BEFORE_MEMBERS = -1;

/**
 * One audience connection's delivery: first the audience's current members (as `added`), then
 * every membership change after the last change written before the members were read, in order.
 * A member who joined or left while the members were read arrives twice (added, then added or
 * removed): at-least-once, and the later change is the true one. A stop while the members are
 * sent sends them all again after a start. Changes are read in chunks after the cursor (a
 * change seq), sent in order one request at a time (the output's `maxChanges` each) with the
 * connection's retries, and committed with their counts and dead letters.
 */
export class AudienceDelivery extends DeliveryLoop {
  /** The cursor (a change seq), as last read or committed; undefined until read (and after a failure). */
  private committed: number | undefined;

  constructor(
    override readonly connection: ConnectionRecord & { audienceId: number },
    private readonly deps: {
      audiences: AudienceStore;
      store: DeliveryStore;
      output: Output & Required<Pick<Output, 'deliverChanges'>>;
      /** The user's identities, by identity type, as partners may match them. */
      identitiesOf: (ws: WorkspaceId, mpid: Mpid) => Record<string, string>;
      options: DeliveryOptions;
      events: DeliveryEvents;
      logger: Logger;
    },
  ) {
    // Changes are written behind (every few seconds): looked for less often than the stream.
    super(connection, { output: deps.output, retry: deps.options.retry, events: deps.events, logger: deps.logger, idleMs: deps.options.idleMs * 10 });
  }

  protected override recover(): void {
    this.committed = undefined;
  }

  protected async step(): Promise<boolean> {
    const { store, audiences, options } = this.deps;
    const { id, workspaceId: ws, audienceId } = this.connection;
    this.committed ??= (await store.cursor(id, BEFORE_MEMBERS)).committed;
    if (this.committed === BEFORE_MEMBERS) this.committed = await this.sendMembers();
    const changes = await audiences.audienceChangesAfter(ws, audienceId, this.committed, options.chunkSize);
    if (changes.length === 0) return false;
    const name = await this.nameOf();
    const end = changes[changes.length - 1]!.seq;
    const done = await this.deliver(
      changes.map((c) => this.changeOf(c.mpid, c.change, c.atMs, name)),
      (first, last) => `${id}-c${changes[first]!.seq}-${changes[last]!.seq}`,
      end,
    );
    await store.commit(id, done);
    this.committed = end;
    return true;
  }

  /** Sends the current members; answers the change seq the changes start after. */
  private async sendMembers(): Promise<number> {
    const { store, audiences, options } = this.deps;
    const { id, workspaceId: ws, audienceId } = this.connection;
    const from = await audiences.lastChangeSeq();
    const name = await this.nameOf();
    const counts: DeliveryCounts = { sent: 0, filtered: 0, failed: 0, retried: 0, dead_lettered: 0 };
    const deadLetters: DeadLetterAppend[] = [];
    let lastError: ChunkDone['lastError'] = null;
    for (let after: Mpid | null = null, page = 0; ; page += 1) {
      const members = await audiences.members(ws, audienceId, after, options.chunkSize);
      if (members.length === 0) break;
      const done = await this.deliver(
        members.map((m) => this.changeOf(m.mpid, 'added', m.addedAtMs, name)),
        (first, last) => `${id}-m${from}-${page}-${first}-${last}`,
        from,
      );
      for (const k of Object.keys(counts) as (keyof DeliveryCounts)[]) counts[k] += done.counts[k];
      deadLetters.push(...done.deadLetters);
      lastError = done.lastError ?? lastError;
      after = members[members.length - 1]!.mpid;
    }
    await store.commit(id, { workspaceId: ws, end: from, counts, lastError, deadLetters });
    return from;
  }

  private async nameOf(): Promise<string> {
    const audience = await this.deps.audiences.get(this.connection.workspaceId, this.connection.audienceId);
    return audience?.name ?? `audience ${this.connection.audienceId}`;
  }

  private changeOf(mpid: Mpid, change: 'added' | 'removed', atMs: number, audienceName: string): AudienceChange {
    return { audienceId: this.connection.audienceId, audienceName, mpid, change, atMs, identities: this.deps.identitiesOf(this.connection.workspaceId, mpid) };
  }

  /** Sends the changes in order, `maxChanges` per request; throws {@link Stopped} when a stop interrupts them. */
  private async deliver(changes: readonly AudienceChange[], keyOf: (first: number, last: number) => string, end: number): Promise<ChunkDone> {
    const { output } = this.deps;
    const counts: DeliveryCounts = { sent: 0, filtered: 0, failed: 0, retried: 0, dead_lettered: 0 };
    const deadLetters: DeadLetterAppend[] = [];
    let lastError: ChunkDone['lastError'] = null;
    const max = Math.max(1, output.maxChanges ?? 100);
    for (let i = 0; i < changes.length; i += max) {
      const part = changes.slice(i, i + max);
      const key = keyOf(i, i + part.length - 1);
      const undelivered = await this.retrier.send(part.length, () => output.deliverChanges(part, key), counts);
      if (!undelivered) continue;
      if (!undelivered.gaveUp) throw new Stopped();
      lastError = { atMs: Date.now(), message: undelivered.message };
      deadLetters.push({ key, batches: [], changes: part, error: undelivered.message, attempts: undelivered.attempts, createdAtMs: Date.now() });
    }
    return { workspaceId: this.connection.workspaceId, end, counts, lastError, deadLetters };
  }
}
