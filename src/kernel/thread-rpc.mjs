// Quanta's one protocol between threads (types and docs in thread-rpc.d.mts). Plain JavaScript, so
// that the workers which start without a TypeScript loader (the log writer, the checkpointer) speak
// it too.

const CALL = 'call';
const RESULT = 'result';
const ERROR = 'error';
const EVENT = 'event';

/** A plain error's wire form: its message, and its `code` when it has one (SQLite's `SQLITE_BUSY`...). */
export function encodePlainError(error) {
  if (error instanceof Error) return { message: error.message, ...(typeof error.code === 'string' ? { code: error.code } : {}) };
  return { message: String(error) };
}

export function decodePlainError(wire) {
  const error = new Error(wire.message);
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}

export class Peer {
  #port;
  #encodeError;
  #decodeError;
  #handlers = {};
  #listeners = new Map();
  #pending = new Map();
  #nextId = 1;
  #failure;

  constructor(port, options = {}) {
    this.#port = port;
    this.#encodeError = options.encodeError ?? encodePlainError;
    this.#decodeError = options.decodeError ?? decodePlainError;
    port.on('message', (message) => this.#receive(message));
  }

  get pending() {
    return this.#pending.size;
  }

  serve(handlers) {
    Object.assign(this.#handlers, handlers);
    return this;
  }

  call(name, ...args) {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#port.postMessage({ rpc: CALL, id, name, args });
    });
  }

  emit(name, data) {
    if (!this.#failure) this.#port.postMessage({ rpc: EVENT, name, data });
  }

  on(name, listener) {
    let listeners = this.#listeners.get(name);
    if (!listeners) this.#listeners.set(name, (listeners = new Set()));
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  fail(error) {
    this.#failure ??= error;
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }

  #receive(message) {
    switch (message?.rpc) {
      case CALL:
        return void this.#answer(message);
      case RESULT:
      case ERROR: {
        const waiting = this.#pending.get(message.id);
        if (!waiting) return;
        this.#pending.delete(message.id);
        if (message.rpc === RESULT) waiting.resolve(message.value);
        else waiting.reject(this.#decodeError(message.error));
        return;
      }
      case EVENT:
        for (const listener of this.#listeners.get(message.name) ?? []) listener(message.data);
        return;
      default:
        return;
    }
  }

  async #answer({ id, name, args }) {
    const handler = this.#handlers[name];
    try {
      if (!handler) throw new Error(`nothing serves "${name}" on this thread`);
      const value = await handler(...args);
      this.#port.postMessage({ rpc: RESULT, id, value });
    } catch (error) {
      this.#port.postMessage({ rpc: ERROR, id, error: this.#encodeError(error) });
    }
  }
}
