import { Worker } from 'node:worker_threads';
import { Peer } from '../../kernel/thread-rpc.mjs';

/** What the checkpoint thread serves (`checkpoint-worker.mjs`). */
interface CheckpointApi {
  /** Checkpoints once more and closes the thread's connections. */
  stop(): void;
}

/**
 * Moves SQLite's WAL checkpoints off the event loop: connections opened with
 * `openSqlite(file, { autoCheckpoint: false })` never checkpoint inside a commit, and this
 * worker thread checkpoints their files every `intervalMs` instead.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly peer: Peer<CheckpointApi>;

  constructor(files: readonly string[], intervalMs = 1000) {
    this.worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), { workerData: { files, intervalMs } });
    this.peer = new Peer<CheckpointApi>(this.worker);
    this.worker.unref();
    this.worker.once('exit', (code) => this.peer.fail(new Error(`the checkpoint thread exited (code ${code})`)));
  }

  async stop(): Promise<void> {
    // Held until it answers (an unref'd thread would let the process exit while it is awaited);
    // a thread that already ended has nothing left to checkpoint.
    this.worker.ref();
    await this.peer.call('stop').catch(() => undefined);
    await this.worker.terminate();
  }
}
