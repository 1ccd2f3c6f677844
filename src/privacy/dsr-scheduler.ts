import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { PollingJob } from '../kernel/poller.ts';
import { RETENTION_MS } from './dsr.ts';
import type { CallbackSender } from './dsr-callbacks.ts';
import type { DsrRunner } from './dsr-runner.ts';
import type { DsrStore } from './dsr-store.ts';

export interface DsrSchedulerDeps {
  store: DsrStore;
  runner: DsrRunner;
  callbacks: CallbackSender;
  logger: Logger;
  now: () => number;
  pollMs: number;
}

/** Requests taken at a time; a poll takes more at once while a full batch was due. */
const REQUESTS_PER_RUN = 1000;
/** How often records past their retention are looked for. */
const PURGE_EVERY_MS = 3_600_000;

/**
 * The DSR lifecycle's job on the app thread: every `pollMs` (and at start, so a request that was
 * in progress when Quanta stopped is run again at once) it runs the requests that are due, sends
 * the callbacks that are due, removes result files whose 7 days are over, and drops records
 * older than a year. One run at a time; `runDue` runs now (tests, with their own clock).
 */
export class DsrScheduler extends PollingJob {
  private lastPurgeMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: DsrSchedulerDeps) {
    super(deps.pollMs);
  }

  override start(): void {
    super.start();
    void this.runDue();
  }

  protected async runOnce(): Promise<void> {
    await this.step('running due requests', async () => {
      for (;;) {
        const due = await this.deps.store.due(this.deps.now(), REQUESTS_PER_RUN);
        if (due.length > 0) await this.deps.runner.runAll(due);
        if (due.length < REQUESTS_PER_RUN) break;
      }
    });
    await this.step('sending status callbacks', () => this.deps.callbacks.sendDue());
    await this.step('removing expired results', () => this.removeExpiredResults());
    await this.step('purging old requests', () => this.purge());
  }

  private async step(what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.deps.logger.error({ err: error }, `data subject requests: ${what} failed; it is tried again on the next poll`);
    }
  }

  private async removeExpiredResults(): Promise<void> {
    const now = this.deps.now();
    for (const r of await this.deps.store.expiredResults(now)) {
      if (r.results?.kind === 'file') await rm(r.results.path, { force: true });
      await this.deps.store.update(r.workspaceId, r.subjectRequestId, { resultsRemovedAtMs: now });
    }
  }

  private async purge(): Promise<void> {
    const now = this.deps.now();
    if (now - this.lastPurgeMs < PURGE_EVERY_MS) return;
    this.lastPurgeMs = now;
    const { requests, files } = await this.deps.store.purge(now - RETENTION_MS);
    for (const file of files) await rm(file, { force: true });
    if (requests > 0) this.deps.logger.info({ requests }, 'data subject requests older than a year deleted');
  }
}
