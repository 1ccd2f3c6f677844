import { Worker } from 'node:worker_threads';

/**
 * Moves SQLite's WAL checkpoints off the event loop: connections opened with
 * `openSqlite(file, { autoCheckpoint: false })` never checkpoint inside a commit, and this
 * worker thread checkpoints their files every `intervalMs` instead.
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(files: readonly string[], intervalMs = 1000) {
    this.worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), { workerData: { files, intervalMs } });
    this.worker.unref();
  }

  async stop(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      this.worker.once('message', () => resolve());
      this.worker.once('exit', () => resolve());
    });
    this.worker.postMessage('stop');
    await stopped;
    await this.worker.terminate();
  }
}
