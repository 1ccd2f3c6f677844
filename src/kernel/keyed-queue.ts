/**
 * Work run one at a time per key, in the order asked (different keys run side by side): a
 * service whose checks read what a write of the same workspace changes runs its writes of one
 * workspace through it. A failed run does not stop the next.
 *
 * @example
 *   const writes = new KeyedQueue<WorkspaceId>();
 *   await writes.run(ws, async () => { if (await nameFree(ws, name)) await create(ws, name); });
 */
export class KeyedQueue<K> {
  private readonly tails = new Map<K, Promise<unknown>>();

  /** Runs `work` after the key's earlier work has finished; its result or error. */
  run<T>(key: K, work: () => Promise<T>): Promise<T> {
    const run = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const settled = run.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key);
    });
    return run;
  }
}
