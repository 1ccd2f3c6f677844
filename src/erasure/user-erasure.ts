import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { ErasureReport, SubjectEraser } from '../privacy/subject-data.ts';
import type { ErasureJob, ErasureStore } from './erasure-store.ts';

/** One thread's erasers run on some users: the rows each removed, by eraser name (`Context.eraseUsers`). */
export type ThreadErasers = (ws: WorkspaceId, mpids: readonly Mpid[]) => Promise<Record<string, number>>;

export interface UserErasureDeps {
  store: ErasureStore;
  /** The event log (the app thread's, which writes): tombstones and the users' records deleted (`EventLog.tombstone`). */
  log: { tombstone(users: readonly { workspaceId: WorkspaceId; mpid: Mpid }[]): Promise<number> };
  /** The app thread's erasers: the identity graph first (registered first), the delivery stream... */
  eraseApp: ThreadErasers;
  /** The processor thread's erasers, run in its exclusive section (the `erasure.eraseUsers` call). */
  eraseProcessor: ThreadErasers;
  logger: Logger;
  /** Users erased per exclusive section of the processor (and per progress write). */
  usersPerSection?: number;
  /** How long a chunk that failed waits before it is tried again. */
  retryMs?: number;
  now?: () => number;
  /** Told how long each step of a chunk took (seconds), for metrics. */
  onStep?: (step: ErasureStep, seconds: number) => void;
}

/** A chunk's steps, in order (see {@link UserErasure}). */
export type ErasureStep = 'app' | 'log' | 'processor' | 'app_again' | 'log_again';

/** Users per exclusive section: large enough that the processor pauses rarely, small enough that each pause is short. */
const USERS_PER_SECTION = 1000;

const total = (rows: Record<string, number>) => Object.values(rows).reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The erasure engine: erases users everywhere, durably, while events go on arriving. A job's
 * users are erased a chunk at a time, each chunk in five idempotent steps:
 *
 * 1. the app thread's erasers, the identity graph first: from then on no request resolves to
 *    these users, and a batch naming one of their MPIDs is resolved by its identities (a new user);
 * 2. the log's tombstones, and the users' records deleted from it;
 * 3. the processor's erasers, in its exclusive section (every partition loop paused at a record
 *    boundary, the stages flushed): their stores and what the stages hold in memory; the
 *    processor then skips every record of these users, those already read included;
 * 4. the app thread's erasers again: what the processor's last flush handed the delivery stream;
 * 5. the tombstones again: records resolved to these users before step 1 and appended since
 *    (stragglers, which the processor skipped) are deleted too.
 *
 * The job's progress is written after each chunk; a job not done when Quanta stopped is run
 * again at start from its last chunk (`resume`). Jobs run one at a time, in the order submitted.
 */
export class UserErasure implements SubjectEraser {
  private readonly now: () => number;
  private readonly perSection: number;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly listeners = new Map<string, (job: ErasureJob) => void>();

  constructor(private readonly deps: UserErasureDeps) {
    this.now = deps.now ?? Date.now;
    this.perSection = deps.usersPerSection ?? USERS_PER_SECTION;
  }

  /** Queues the erasure of these users (duplicates once); resolves with the job once it is stored. */
  async submit(ws: WorkspaceId, mpids: readonly Mpid[], notFound = 0): Promise<ErasureJob> {
    const job = await this.create(ws, mpids, notFound);
    this.schedule(job);
    return job;
  }

  private async create(ws: WorkspaceId, mpids: readonly Mpid[], notFound: number): Promise<ErasureJob> {
    const users = [...new Set(mpids)];
    const at = this.now();
    const job: ErasureJob = {
      id: randomUUID(),
      workspaceId: ws,
      mpids: users,
      usersTotal: users.length,
      notFound,
      status: 'queued',
      usersDone: 0,
      rows: 0,
      createdAtMs: at,
      updatedAtMs: at,
      completedAtMs: null,
    };
    await this.deps.store.create(job);
    return job;
  }

  /** A job of the workspace, as far as it is. */
  job(ws: WorkspaceId, id: string): Promise<ErasureJob | undefined> {
    return this.deps.store.get(ws, id);
  }

  /** {@link SubjectEraser}: submits the users and resolves once they are erased everywhere. */
  async erase(ws: WorkspaceId, mpids: readonly Mpid[], onProgress?: (done: number, total: number) => void): Promise<ErasureReport> {
    const job = await this.create(ws, mpids, 0);
    const finished = this.finished(job.id, onProgress);
    this.schedule(job);
    const done = await finished;
    return { users: done.usersTotal, rows: done.rows };
  }

  /** Runs again, in order, every job not done when Quanta last stopped; how many there were. */
  async resume(): Promise<number> {
    const unfinished = await this.deps.store.unfinished();
    for (const job of unfinished) {
      this.deps.logger.warn({ job: job.id, workspaceId: job.workspaceId, usersDone: job.usersDone, usersTotal: job.usersTotal }, 'resuming an erasure begun before Quanta stopped');
      this.schedule(job);
    }
    return unfinished.length;
  }

  /** Finishes the chunk in hand and runs nothing more; jobs not done are resumed at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private finished(id: string, onProgress?: (done: number, total: number) => void): Promise<ErasureJob> {
    return new Promise((resolve) => {
      this.listeners.set(id, (job) => {
        onProgress?.(job.usersDone, job.usersTotal);
        if (job.status !== 'done') return;
        this.listeners.delete(id);
        resolve(job);
      });
    });
  }

  private schedule(job: ErasureJob): void {
    this.running = this.running.then(() => this.run(job));
  }

  /** Runs a job from where it is; a chunk that fails is tried again (logged) until it succeeds or Quanta stops. */
  private async run(job: ErasureJob): Promise<void> {
    let current: ErasureJob = { ...job, status: 'in_progress' };
    while (!this.stopped && current.usersDone < current.mpids.length) {
      const chunk = current.mpids.slice(current.usersDone, current.usersDone + this.perSection);
      let rows: number;
      try {
        rows = await this.eraseChunk(current.workspaceId, chunk);
      } catch (error) {
        this.deps.logger.error({ err: error, job: current.id, usersDone: current.usersDone }, 'an erasure step failed; it is tried again');
        await sleep(this.deps.retryMs ?? 1000);
        continue;
      }
      const usersDone = current.usersDone + chunk.length;
      current = { ...current, usersDone, rows: current.rows + rows, updatedAtMs: this.now(), status: usersDone < current.mpids.length ? 'in_progress' : 'done' };
      await this.save(current);
    }
    if (!this.stopped && current.status !== 'done') {
      // Nothing to erase (no user found): done at once.
      current = { ...current, status: 'done', updatedAtMs: this.now() };
      await this.save(current);
    }
  }

  private async save(job: ErasureJob): Promise<void> {
    await this.deps.store.progress(job.id, { usersDone: job.usersDone, rows: job.rows, status: job.status, atMs: job.updatedAtMs });
    this.listeners.get(job.id)?.({ ...job, completedAtMs: job.status === 'done' ? job.updatedAtMs : null });
  }

  /** The five steps of one chunk (see the class); the rows removed. */
  private async eraseChunk(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<number> {
    const users = mpids.map((mpid) => ({ workspaceId: ws, mpid }));
    const timed = async (step: ErasureStep, run: () => Promise<number>) => {
      const started = performance.now();
      const rows = await run();
      this.deps.onStep?.(step, (performance.now() - started) / 1000);
      return rows;
    };
    let rows = await timed('app', async () => total(await this.deps.eraseApp(ws, mpids)));
    rows += await timed('log', () => this.deps.log.tombstone(users));
    rows += await timed('processor', async () => total(await this.deps.eraseProcessor(ws, mpids)));
    rows += await timed('app_again', async () => total(await this.deps.eraseApp(ws, mpids)));
    rows += await timed('log_again', () => this.deps.log.tombstone(users));
    return rows;
  }
}
