import type { Logger } from 'pino';
import type { IdentityGraph } from '../identity/identity-graph.ts';
import type { Identities } from '../identity/identity-types.ts';
import type { Mpid } from '../kernel/ids.ts';
import { type DsrRecord, dsrIdentityType, quantaIdentityType, type RecordUpdate, RESULTS_TTL_MS, type Resolution } from './dsr.ts';
import { callbacksOf } from './dsr-bodies.ts';
import type { DsrStore } from './dsr-store.ts';
import type { ErasureForwarder, ErasureReport, SubjectCollector, SubjectEraser } from './subject-data.ts';

/** The ports a request's run acts through: what erases, what collects, what forwards. */
export interface DsrPorts {
  eraser: SubjectEraser;
  collector: SubjectCollector;
  forwarder: ErasureForwarder;
}

export interface DsrRunnerDeps extends DsrPorts {
  store: DsrStore;
  /** IDSync's graph: searched, never added to (a DSR creates no user). */
  graph: Pick<IdentityGraph, 'search' | 'record'>;
  publicUrl: string;
  logger: Logger;
  now: () => number;
  /** The first wait after a failed run, doubled after each failure up to an hour. */
  retryBaseMs: number;
  onStatus?: (record: DsrRecord) => void;
}

const MAX_RETRY_MS = 3_600_000;

/**
 * Runs a due request: in progress, resolved to users (fixed in the record before anything is
 * erased), then erased (v3 erasures forwarded first) or collected, then completed. Each status
 * change is announced to the request's callback URLs. A run that fails leaves the request in
 * progress, due again after a backoff; a run again (after a failure, or after Quanta stopped
 * mid-run) takes up the fixed resolution and the ports finish what the first run began.
 */
export class DsrRunner {
  constructor(private readonly deps: DsrRunnerDeps) {}

  /** Runs one due request; answers it as it is after the run. */
  async run(due: DsrRecord): Promise<DsrRecord> {
    const [after] = await this.runAll([due]);
    return after!;
  }

  /**
   * Runs due requests; answers each as it is after the run. All are moved in progress, their
   * resolution fixed, together (one commit); erasures are forwarded one by one, then the users of
   * all of a workspace's erasures are erased in one call, which erases them in chunks (one pause
   * of the processor per chunk, not per request), and they are completed together; access and
   * portability requests are collected one by one.
   */
  async runAll(due: readonly DsrRecord[]): Promise<DsrRecord[]> {
    const after = new Map<DsrRecord, DsrRecord>();
    const erasures: { due: DsrRecord; prepared: DsrRecord; update: RecordUpdate }[] = [];
    const started = await Promise.all(due.map((d) => this.start(d)));
    for (const [i, d] of due.entries()) {
      const s = started[i]!;
      if (!s.ok) {
        after.set(d, s.record);
        continue;
      }
      const r = s.record;
      try {
        if (r.requestType !== 'erasure') after.set(d, await this.complete(r, await this.collect(r, r.resolution!)));
        else erasures.push({ due: d, prepared: r, update: { forwarding: await this.forward(r, r.resolution!) } });
      } catch (error) {
        after.set(d, await this.failed(r, error));
      }
    }
    const byWorkspace = new Map<number, typeof erasures>();
    for (const e of erasures) byWorkspace.set(e.prepared.workspaceId, [...(byWorkspace.get(e.prepared.workspaceId) ?? []), e]);
    for (const group of byWorkspace.values()) {
      const mpids = [...new Set(group.flatMap((e) => e.prepared.resolution!.mpids))];
      const ws = group[0]!.prepared.workspaceId;
      let erased: ErasureReport;
      try {
        erased = mpids.length > 0 ? await this.deps.eraser.erase(ws, mpids) : { users: 0, rows: 0 };
      } catch (error) {
        await Promise.all(group.map(async (e) => after.set(e.due, await this.failed(e.prepared, error))));
        continue;
      }
      await Promise.all(
        group.map(async (e) => {
          const users = e.prepared.resolution!.mpids.length;
          after.set(e.due, await this.complete(e.prepared, { ...e.update, erasure: { users, rows: users === 0 ? 0 : erased.rows } }));
        }),
      );
    }
    return due.map((d) => after.get(d)!);
  }

  /**
   * Moves a request in progress and fixes whom it is about (once: a run again keeps it); not ok
   * when another run took it, or the write failed (then it is due again after a backoff).
   */
  private async start(due: DsrRecord): Promise<{ ok: true; record: DsrRecord } | { ok: false; record: DsrRecord }> {
    let r = due;
    try {
      if (r.status === 'pending') {
        // In progress and whom it is about, in one write.
        const started = await this.move(r, 'in_progress', { resolution: r.resolution ?? this.resolve(r) });
        if (!started) return { ok: false, record: (await this.deps.store.request(r.workspaceId, r.subjectRequestId)) ?? r };
        r = started;
      } else if (!r.resolution) {
        r = { ...r, resolution: this.resolve(r) };
        await this.deps.store.update(r.workspaceId, r.subjectRequestId, { resolution: r.resolution });
      }
      return { ok: true, record: r };
    } catch (error) {
      return { ok: false, record: await this.failed(r, error) };
    }
  }

  private async complete(r: DsrRecord, update: RecordUpdate): Promise<DsrRecord> {
    return (await this.move(r, 'completed', { ...update, attempts: r.attempts, lastError: null })) ?? r;
  }

  private async failed(r: DsrRecord, error: unknown): Promise<DsrRecord> {
    const attempts = r.attempts + 1;
    const waitMs = Math.min(this.deps.retryBaseMs * 2 ** (attempts - 1), MAX_RETRY_MS);
    const lastError = error instanceof Error ? error.message : String(error);
    this.deps.logger.error({ err: error, subjectRequestId: r.subjectRequestId, workspaceId: r.workspaceId, attempts }, 'data subject request failed; it will be run again');
    await this.deps.store.update(r.workspaceId, r.subjectRequestId, { attempts, lastError, dueAtMs: this.deps.now() + waitMs });
    return { ...r, attempts, lastError };
  }

  /** A v3 erasure is forwarded once (a run again keeps the states); v1 and v2 ones are not sent. */
  private async forward(r: DsrRecord, resolution: Resolution): Promise<DsrRecord['forwarding']> {
    if (r.forwarding !== null) return r.forwarding;
    const forwarding =
      r.version === 'v3'
        ? await this.deps.forwarder.forward(r.workspaceId, {
            subjectRequestId: r.subjectRequestId,
            regulation: r.regulation ?? 'gdpr',
            submittedTime: r.submittedTime,
            mpids: resolution.mpids,
            identities: resolution.identities,
          })
        : 'not_sent';
    // Kept at once when something was sent (a run again must not send it twice); else with the completion.
    if (Array.isArray(forwarding) && forwarding.length > 0) await this.deps.store.update(r.workspaceId, r.subjectRequestId, { forwarding });
    return forwarding;
  }

  private async collect(r: DsrRecord, resolution: Resolution): Promise<RecordUpdate> {
    const results = resolution.mpids.length > 0 ? await this.deps.collector.collect(r.workspaceId, resolution.mpids, r.subjectRequestId) : { kind: 'none' as const };
    return { results, resultsExpireAtMs: this.deps.now() + RESULTS_TTL_MS };
  }

  /**
   * Whom the request is about, through IDSync's search (no user is created): the MPIDs it names
   * that exist; for v3, the one profile its identities resolve to; for v1 and v2, the profile
   * each identity resolves to. The identities to forward are every identity of those users, with
   * the request's own taking precedence (mParticle: the request is the source of truth).
   */
  resolve(r: DsrRecord): Resolution {
    const { graph } = this.deps;
    const mpids = new Set<Mpid>(r.mpids.filter((m) => graph.record(r.workspaceId, m) !== undefined));
    const searches: Identities[] =
      r.version === 'v3' ? [Object.fromEntries(r.identities.map((i) => [quantaIdentityType(i.type), i.value]))] : r.identities.map((i) => ({ [quantaIdentityType(i.type)]: i.value }));
    for (const known of searches) {
      if (Object.keys(known).length === 0) continue;
      const found = graph.search(r.workspaceId, known);
      if (found) mpids.add(found.mpid);
    }
    const identities: Record<string, string> = {};
    for (const mpid of mpids) {
      const held = graph.record(r.workspaceId, mpid)?.identities ?? {};
      for (const [type, value] of Object.entries(held)) {
        const name = dsrIdentityType(type as keyof Identities);
        if (name && typeof value === 'string') identities[name] = value;
      }
    }
    for (const i of r.identities) identities[i.type] = i.value;
    return { mpids: [...mpids], identities };
  }

  private async move(r: DsrRecord, status: 'in_progress' | 'completed', update: RecordUpdate): Promise<DsrRecord | undefined> {
    const atMs = this.deps.now();
    const next: DsrRecord = { ...r, ...update, status, history: [...r.history, { status, atMs }] };
    const from = status === 'in_progress' ? (['pending'] as const) : (['in_progress'] as const);
    const moved = await this.deps.store.transition(r.workspaceId, r.subjectRequestId, from, { status, atMs }, update, callbacksOf(next, this.deps.publicUrl));
    if (moved) this.deps.onStatus?.(moved);
    return moved;
  }
}
