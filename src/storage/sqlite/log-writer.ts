import { Worker } from 'node:worker_threads';
import { Peer } from '../../kernel/thread-rpc.mjs';
import { type SqliteOptions, sqlitePragmas } from './open.ts';

/** One group commit: rows in append order. */
export interface LogWriteRequest {
  /** When the dedup keys were seen (for their retention). */
  now: number;
  partitions: number[];
  /** Each row's workspace and MPID (the log's per-user columns, which an erasure deletes by). */
  workspaces: number[];
  mpids: string[];
  texts: string[];
  dedupKeys: (string | null)[];
}

/** One erasure: a tombstone per user at the log's last offset, and the users' records deleted. */
export interface LogEraseRequest {
  now: number;
  users: [workspace: number, mpid: string][];
}

/** What the writer thread serves (`log-writer-thread.mjs`). */
interface WriterApi {
  /** Each row's offset, or {@link DUPLICATE}, once the transaction is durable. */
  write(request: LogWriteRequest): number[];
  /** The records deleted, once the tombstones and the deletion are durable. */
  erase(request: LogEraseRequest): number;
  close(): void;
}

/** The offset a row was given, or this when its dedup key was written before. */
export const DUPLICATE = -1;

/**
 * The thread's statements: `dedup (key, at)` changes no row for a key seen before; `insert
 * (partition, payload, workspace, mpid)` gives the offset; `lastOffset ()` is the log's last
 * offset; `tombstone (workspace, mpid, offset, at)` writes or moves a tombstone; `erase
 * (workspace, mpid)` deletes a user's records.
 */
export interface AppendStatements {
  dedup: string;
  insert: string;
  lastOffset: string;
  tombstone: string;
  erase: string;
}

/**
 * The event log's appends, committed on a worker thread (`log-writer-thread.mjs`) with its own
 * connection: the inserts and the fsync of each group commit do not hold the event loop that
 * answers requests. The thread starts with the writer, so it is ready by the first append; one
 * that dies fails the writes it held and is started again for the next.
 */
export class LogWriter {
  /** The running thread. */
  private thread: { worker: Worker; peer: Peer<WriterApi> } | undefined;
  private closed = false;

  constructor(
    private readonly file: string,
    private readonly options: SqliteOptions,
    private readonly statements: AppendStatements,
  ) {
    this.started();
  }

  /** Writes the rows in one transaction; resolves, once it is durable, with each row's offset or {@link DUPLICATE}. */
  async write(rows: LogWriteRequest): Promise<number[]> {
    if (this.closed) throw new Error('the event log is closed; nothing was written');
    const { worker, peer } = this.started();
    worker.ref();
    try {
      return await peer.call('write', rows);
    } finally {
      // Only pending writes keep Quanta alive.
      if (peer.pending === 0) worker.unref();
    }
  }

  /** Tombstones and deletes users' records in one transaction, in turn with the writes; resolves once durable. */
  async erase(request: LogEraseRequest): Promise<number> {
    if (this.closed) throw new Error('the event log is closed; nothing was erased');
    const { worker, peer } = this.started();
    worker.ref();
    try {
      return await peer.call('erase', request);
    } finally {
      if (peer.pending === 0) worker.unref();
    }
  }

  private started(): { worker: Worker; peer: Peer<WriterApi> } {
    if (this.thread) return this.thread;
    const workerData = { file: this.file, pragmas: sqlitePragmas(this.options), statements: this.statements, duplicate: DUPLICATE };
    const worker = new Worker(new URL('./log-writer-thread.mjs', import.meta.url), { workerData });
    const thread = { worker, peer: new Peer<WriterApi>(worker) };
    worker.unref();
    const fail = (error: Error) => {
      if (this.thread === thread) this.thread = undefined;
      thread.peer.fail(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the event log writer thread exited (code ${code}); the write was not committed`)));
    this.thread = thread;
    return thread;
  }

  /** Stops the thread, which closes its connection; call once no write is pending. */
  async close(): Promise<void> {
    this.closed = true;
    const thread = this.thread;
    if (!thread) return;
    this.thread = undefined;
    const exited = new Promise<void>((resolve) => thread.worker.once('exit', () => resolve()));
    thread.worker.ref();
    await thread.peer.call('close');
    await exited;
  }
}
