import { randomUUID } from 'node:crypto';
import { type ErrorDetail, problem } from '../kernel/errors.ts';
import { type Mpid, parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import { AliasInvalid, AliasingUnavailable } from './identity-errors.ts';
import type { IdentityGraph } from './identity-graph.ts';
import type { AliasRecord, IdentityEvent, IdentityReason, IdentityStore } from './identity-store.ts';
import type { IdentityStrategy } from './strategy.ts';

/** The longest time range one alias request may copy (the aliasing guide's 90 days). */
export const ALIAS_MAX_SPAN_MS = 90 * 24 * 3600_000;

export interface AliasInput {
  requestId?: string | null;
  sourceMpid: unknown;
  destinationMpid: unknown;
  startMs?: unknown;
  endMs?: unknown;
}

const optionalTime = (v: unknown) => v === undefined || v === null || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);

/**
 * Alias requests, as the aliasing guide describes them: validated when received (a 400 names
 * what is wrong), applied after a delay (mParticle waits 24 hours for late events), and refused
 * silently, with the reason recorded, when they break the aliasing rules.
 */
export class AliasRegistry {
  private constructor(
    private readonly store: IdentityStore,
    private readonly graph: IdentityGraph,
    private readonly aliases: AliasRecord[],
    private readonly strategyFor: (ws: WorkspaceId) => IdentityStrategy,
    private readonly now: () => number,
  ) {}

  static async load(
    store: IdentityStore,
    graph: IdentityGraph,
    strategyFor: (ws: WorkspaceId) => IdentityStrategy,
    now: () => number = Date.now,
  ): Promise<AliasRegistry> {
    return new AliasRegistry(store, graph, await store.loadAliases(), strategyFor, now);
  }

  /** Validates and keeps an alias request; it becomes due `delayMs` from now. */
  async accept(ws: WorkspaceId, input: AliasInput, delayMs: number): Promise<AliasRecord> {
    const strategy = this.strategyFor(ws).name;
    if (strategy === 'profile_isolation' || strategy === 'best_match') {
      throw new AliasingUnavailable(strategy);
    }
    const problems: ErrorDetail[] = [];
    const bad = (message: string) => problems.push(problem(message));
    const source = parseMpid(input.sourceMpid);
    const destination = parseMpid(input.destinationMpid);
    if (!source) bad('source_mpid is required: the MPID of the profile whose data is copied.');
    if (!destination) bad('destination_mpid is required: the MPID of the profile that receives the data.');
    if (!optionalTime(input.startMs) || !optionalTime(input.endMs)) bad('start_unixtime_ms and end_unixtime_ms must be Unix times in milliseconds.');
    if (problems.length > 0) throw new AliasInvalid(problems);
    if (source === destination) bad('The source MPID is the same as the destination MPID.');
    for (const [name, mpid] of [['source', source], ['destination', destination]] as const) {
      if (!this.graph.record(ws, mpid!)) bad(`The ${name} MPID ${mpid} does not exist.`);
    }
    const at = this.now();
    const endMs = (input.endMs as number | null | undefined) ?? at;
    const startMs = (input.startMs as number | null | undefined) ?? endMs - ALIAS_MAX_SPAN_MS;
    if (startMs > endMs) bad('The time range is invalid: start_unixtime_ms is after end_unixtime_ms.');
    else if (endMs - startMs > ALIAS_MAX_SPAN_MS) bad('The time range is invalid: it spans more than 90 days.');
    if (problems.length > 0) throw new AliasInvalid(problems);
    const alias: AliasRecord = {
      id: input.requestId || randomUUID(),
      workspaceId: ws,
      sourceMpid: source!,
      destinationMpid: destination!,
      startMs,
      endMs,
      requestedAtMs: at,
      dueAtMs: at + delayMs,
      status: 'pending',
      detail: null,
    };
    await this.store.saveAlias(alias, []);
    this.aliases.push(alias);
    return alias;
  }

  due(): AliasRecord[] {
    const now = this.now();
    return this.aliases.filter((a) => a.status === 'pending' && a.dueAtMs <= now);
  }

  completed(): AliasRecord[] {
    return this.aliases.filter((a) => a.status === 'completed');
  }

  /**
   * Drops from memory every alias request naming one of the users (source or destination), so
   * none is applied or written back after a GDPR erasure removed them from the store
   * (`IdentityStore.eraseUsers`). Answers how many it dropped.
   */
  forget(ws: WorkspaceId, mpids: readonly Mpid[]): number {
    const gone = new Set(mpids);
    const before = this.aliases.length;
    const kept = this.aliases.filter((a) => a.workspaceId !== ws || (!gone.has(a.sourceMpid) && !gone.has(a.destinationMpid)));
    this.aliases.splice(0, before, ...kept);
    return before - kept.length;
  }

  /** Why the aliasing rules refuse this request, or undefined when they allow it. */
  refusal(alias: AliasRecord): string | undefined {
    const done = this.aliases.filter((a) => a.status === 'completed' && a.workspaceId === alias.workspaceId && a.id !== alias.id);
    if (done.some((a) => a.sourceMpid === alias.sourceMpid && a.startMs <= alias.endMs && alias.startMs <= a.endMs)) {
      return 'the source profile was already the source of an alias request with an overlapping time range';
    }
    if (done.some((a) => a.destinationMpid === alias.sourceMpid)) return 'the source profile was the destination of an earlier alias request';
    if (done.some((a) => a.sourceMpid === alias.destinationMpid)) return 'the destination profile was the source of an earlier alias request';
    return undefined;
  }

  /**
   * Applies a due request with `effect` (copying its data) unless the rules refuse it, and
   * records the outcome on the request and, when applied, in both profiles' identity history.
   */
  async settle(alias: AliasRecord, effect: () => Promise<void>): Promise<AliasRecord['status']> {
    const refused = this.refusal(alias);
    if (refused) {
      alias.status = 'rejected';
      alias.detail = refused;
      await this.store.saveAlias(alias, []);
      return alias.status;
    }
    await effect();
    alias.status = 'completed';
    alias.detail = `copied data from ${alias.startMs} to ${alias.endMs}`;
    const reason: IdentityReason = {
      operation: 'alias',
      strategy: this.strategyFor(alias.workspaceId).name,
      source: 'identity_api',
      requestId: alias.id,
      matchedBy: null,
      detail: '',
    };
    const event = (mpid: Mpid, action: 'aliased' | 'merged', detail: string): IdentityEvent => ({
      workspaceId: alias.workspaceId,
      mpid,
      atMs: this.now(),
      action,
      type: null,
      value: null,
      previousValue: null,
      reason: { ...reason, detail },
    });
    await this.store.saveAlias(alias, [
      event(alias.sourceMpid, 'aliased', `aliased to ${alias.destinationMpid}`),
      event(alias.destinationMpid, 'merged', `merged from ${alias.sourceMpid}`),
    ]);
    return alias.status;
  }
}
