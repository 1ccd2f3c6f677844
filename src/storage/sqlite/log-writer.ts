import { Worker } from 'node:worker_threads';
import { type SqliteOptions, sqlitePragmas } from './open.ts';

/** One group commit: rows in append order. */
export interface LogWriteRequest {
  id: number;
  /** When the dedup keys were seen (for their retention). */
  now: number;
  partitions: number[];
  texts: string[];
  dedupKeys: (string | null)[];
}

export type LogWriteReply = { id: number; offsets: number[] } | { id: number; error: { message: string; code?: string } };

/** The offset a row was given, or this when its dedup key was written before. */
export const DUPLICATE = -1;

/** The thread's two statements: `dedup (key, at)` changes no row for a key seen before; `insert (partition, payload)` gives the offset. */
export interface AppendStatements {
  dedup: string;
  insert: string;
}

/**
 * The event log's appends, committed on a worker thread (`log-writer-thread.mjs`) with its own
 * connection: the inserts and the fsync of each group commit do not hold the event loop that
 * answers requests. The thread starts with the writer, so it is ready by the first append; one
 * that dies fails the writes it held and is started again for the next.
 */
interface Waiting {
  resolve: (offsets: number[]) => void;
  reject: (e: Error) => void;
}

export class LogWriter {
  /** The running thread and the writes it holds. */
  private thread: { worker: Worker; pending: Map<number, Waiting> } | undefined;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly options: SqliteOptions,
    private readonly statements: AppendStatements,
  ) {
    this.started();
  }

  /** Writes the rows in one transaction; resolves, once it is durable, with each row's offset or {@link DUPLICATE}. */
  write(rows: Omit<LogWriteRequest, 'id'>): Promise<number[]> {
    if (this.closed) return Promise.reject(new Error('the event log is closed; nothing was written'));
    const { worker, pending } = this.started();
    const request: LogWriteRequest = { id: this.nextId++, ...rows };
    return new Promise((resolve, reject) => {
      pending.set(request.id, { resolve, reject });
      worker.ref();
      worker.postMessage(request);
    });
  }

  private started(): { worker: Worker; pending: Map<number, Waiting> } {
    if (this.thread) return this.thread;
    const workerData = { file: this.file, pragmas: sqlitePragmas(this.options), statements: this.statements, duplicate: DUPLICATE };
    const worker = new Worker(new URL('./log-writer-thread.mjs', import.meta.url), { workerData });
    const thread = { worker, pending: new Map<number, Waiting>() };
    // Only pending writes keep Quanta alive.
    worker.unref();
    worker.on('message', (reply: LogWriteReply) => {
      const waiting = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ('error' in reply) waiting?.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else waiting?.resolve(reply.offsets);
    });
    const fail = (error: Error) => {
      if (this.thread === thread) this.thread = undefined;
      for (const waiting of thread.pending.values()) waiting.reject(error);
      thread.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the event log writer thread exited (code ${code}); the write was not committed`)));
    this.thread = thread;
    return thread;
  }

  /** Stops the thread, which closes its connection; call once no write is pending. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.thread?.worker;
    if (!worker) return;
    this.thread = undefined;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage('close');
    await exited;
  }
}
