/**
 * Quanta's one protocol between threads: a typed request/response channel over a
 * `worker_threads` port (a `Worker`, `parentPort` or a `MessagePort`). Each end serves functions
 * the other may call, and may send one-way events. A call resolves with the handler's value or
 * rejects with its error; errors cross as plain data (`encodeError` on the serving side,
 * `decodeError` on the calling side), so with the kernel's coded-error codecs a coded error thrown
 * on one thread arrives as the same coded error on the other.
 *
 * @example
 *   // worker
 *   new Peer<AppSide>(parentPort!).serve({ write: (rows: Rows) => insert(rows) } satisfies WriterApi);
 *   // app
 *   const writer = new Peer<WriterApi>(worker);
 *   const offsets = await writer.call('write', rows);
 *   worker.on('exit', () => writer.fail(new Error('the writer thread exited')));
 */

/** The functions one end serves, by name. */
export type Handlers = { [name: string]: (...args: never[]) => unknown };

type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;
type ResultOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

/** One-way events by name, with the data each carries. */
export type Events = { [name: string]: unknown };

/** A plain error, as it crosses. */
export interface WireError {
  message: string;
  code?: string;
  [field: string]: unknown;
}

/** How errors cross: plain data out of `encodeError`, an error again out of `decodeError` (see kernel/errors.ts's codecs). */
export interface PeerOptions {
  encodeError?: (error: unknown) => object;
  decodeError?: (wire: never) => Error;
}

/** What a `Peer` needs of a port: a `Worker`, `parentPort` and a `MessagePort` all are. */
export interface Port {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

/**
 * One end of a channel: `Remote` is what the other end serves, `In` the events it sends here and
 * `Out` the events this end sends.
 */
export class Peer<Remote extends object = Handlers, In extends object = Events, Out extends object = Events> {
  constructor(port: Port, options?: PeerOptions);
  /** Calls in flight. */
  readonly pending: number;
  /** Serves `handlers` to the other end (added to any served before). */
  serve(handlers: object): this;
  call<K extends keyof Remote & string>(name: K, ...args: ArgsOf<Remote[K]>): Promise<ResultOf<Remote[K]>>;
  emit<K extends keyof Out & string>(name: K, data: Out[K]): void;
  /** Listens to an event from the other end; returns a function that stops listening. */
  on<K extends keyof In & string>(name: K, listener: (data: In[K]) => void): () => void;
  /** Rejects every call in flight with `error`, and every later call: the other end is gone. */
  fail(error: Error): void;
}

export function encodePlainError(error: unknown): WireError;
export function decodePlainError(wire: WireError): Error;
