import { access, type FileHandle, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { finishLeftovers, fsyncDir } from './files-durable.ts';
import { OPEN_SUFFIX, partName } from './files-layout.ts';

export interface RollingFilesOptions {
  /** The output's directory, absolute. */
  readonly root: string;
  /** A file is rolled before a line would take it past this size (a longer line has a file of its own). */
  readonly maxFileBytes: number;
  /** A file is rolled once it has been open this long, written to or not. */
  readonly maxFileMs: number;
  /** How often files open too long are looked for while no line comes. */
  readonly checkEveryMs: number;
  readonly now: () => number;
  /** Files open at once (a backfill writes many hours): past it, the one written to least recently is rolled. */
  readonly maxOpenFiles?: number;
}

/** One line for a partition (`partitionOf`): its bytes, with the newline. */
export interface Line {
  readonly partition: string;
  readonly bytes: Buffer;
}

interface OpenFile {
  readonly partition: string;
  readonly dir: string;
  /** Its name while written (`.ndjson.open`). */
  readonly path: string;
  readonly fh: FileHandle;
  readonly openedAtMs: number;
  /** Bytes known durable (written and fsync'ed). */
  synced: number;
  /** Bytes including the lines of the write in progress. */
  size: number;
  pending: Buffer[];
  done: boolean;
}

/** The files this process is writing, whichever output writes them: finishing leftovers leaves them alone. */
const WRITING = new Set<string>();
let nextPart = 0;

/** Creates a directory and its missing parents, and makes the new entries durable. */
async function makeDirs(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    await fsyncDir(dirname(d));
    if (d === first) return;
  }
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Appends lines to one open file per partition, rolled by size and by age: a rolled file is
 * closed and renamed from `.ndjson.open` to `.ndjson`. `append` resolves once its lines are
 * fsync'ed; appends that arrive while one is written are written together, with one fsync per
 * file (group commit). Before its first write it finishes the files a stopped writer left open
 * under its directory (`finishLeftovers`).
 *
 * A write that fails cuts each file it touched back to its last durable byte and rolls it, so a
 * retry never appends after half a line.
 *
 * @example
 * const files = new RollingNdjsonFiles({ root: '/data/out', maxFileBytes: 64 << 20, maxFileMs: 3_600_000, checkEveryMs: 60_000, now: Date.now });
 * await files.append([{ partition: 'workspace=7/date=2026-01-01/hour=10', bytes: Buffer.from('{}\n') }]);
 * await files.close();
 */
export class RollingNdjsonFiles {
  private readonly files = new Map<string, OpenFile>();
  private readonly queue: { lines: readonly Line[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private started: Promise<void> | undefined;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: RollingFilesOptions) {
    this.timer = setInterval(() => void this.rollDue(), options.checkEveryMs);
    this.timer.unref();
  }

  append(lines: readonly Line[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the files output is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ lines, resolve, reject });
      void this.exclusive(() => this.flushQueue());
    });
  }

  /** Rolls every file open for `maxFileMs` or longer. */
  rollDue(): Promise<void> {
    return this.exclusive(async () => {
      const now = this.options.now();
      for (const f of [...this.files.values()]) if (now - f.openedAtMs >= this.options.maxFileMs) await this.finish(f).catch(() => this.abandon(f));
    });
  }

  /** Writes what is queued and rolls every open file. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.exclusive(async () => {
      await this.flushQueue();
      for (const f of [...this.files.values()]) await this.finish(f).catch(() => this.abandon(f));
    });
  }

  /** Runs `fn` after everything before it: one write, roll or close at a time. */
  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async flushQueue(): Promise<void> {
    const group = this.queue.splice(0);
    if (group.length === 0) return;
    try {
      await this.start();
      await this.write(group.flatMap((g) => g.lines));
      for (const g of group) g.resolve();
    } catch (error) {
      for (const g of group) g.reject(error);
    }
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      await makeDirs(this.options.root);
      await finishLeftovers(this.options.root, WRITING);
    })().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  private async write(lines: readonly Line[]): Promise<void> {
    const now = this.options.now();
    const touched = new Set<OpenFile>();
    try {
      for (const line of lines) {
        let file = this.files.get(line.partition);
        if (file && this.full(file, line.bytes.length, now)) {
          await this.finish(file);
          file = undefined;
        }
        file ??= await this.create(line.partition, now);
        file.pending.push(line.bytes);
        file.size += line.bytes.length;
        touched.add(file);
        this.files.delete(line.partition);
        this.files.set(line.partition, file);
      }
      await Promise.all([...touched].map((f) => this.sync(f)));
    } catch (error) {
      await Promise.all([...touched].map((f) => this.abandon(f)));
      throw error;
    }
  }

  private full(f: OpenFile, bytes: number, now: number): boolean {
    return now - f.openedAtMs >= this.options.maxFileMs || (f.size > 0 && f.size + bytes > this.options.maxFileBytes);
  }

  private async create(partition: string, now: number): Promise<OpenFile> {
    const oldest = this.files.values().next();
    if (!oldest.done && this.files.size >= (this.options.maxOpenFiles ?? 32)) await this.finish(oldest.value);
    const dir = join(this.options.root, partition);
    await makeDirs(dir);
    for (;;) {
      const path = join(dir, partName(now, nextPart++)) + OPEN_SUFFIX;
      if (await exists(path.slice(0, -OPEN_SUFFIX.length))) continue;
      let fh: FileHandle;
      try {
        fh = await open(path, 'ax');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw error;
      }
      try {
        await fsyncDir(dir);
      } catch (error) {
        await fh.close().catch(() => undefined);
        throw error;
      }
      WRITING.add(path);
      const file: OpenFile = { partition, dir, path, fh, openedAtMs: now, synced: 0, size: 0, pending: [], done: false };
      this.files.set(partition, file);
      return file;
    }
  }

  private async sync(f: OpenFile): Promise<void> {
    if (f.done || f.pending.length === 0) return;
    const bytes = Buffer.concat(f.pending);
    f.pending = [];
    await f.fh.appendFile(bytes);
    await f.fh.datasync();
    f.synced += bytes.length;
  }

  /** Rolls a file: its pending lines written and fsync'ed, closed, renamed to its complete name. */
  private async finish(f: OpenFile): Promise<void> {
    if (f.done) return;
    if (this.files.get(f.partition) === f) this.files.delete(f.partition);
    await this.sync(f);
    await this.closeFile(f);
    await rename(f.path, f.path.slice(0, -OPEN_SUFFIX.length));
    await fsyncDir(f.dir);
  }

  private async closeFile(f: OpenFile): Promise<void> {
    f.done = true;
    WRITING.delete(f.path);
    await f.fh.close();
  }

  /**
   * After a failed write: the file is cut back to its last durable byte and rolled (removed when
   * nothing of it was durable). When even
   * that fails it is left as it is, open-named, and the next writer to start finishes it.
   */
  private async abandon(f: OpenFile): Promise<void> {
    if (this.files.get(f.partition) === f) this.files.delete(f.partition);
    if (f.done) return;
    f.pending = [];
    try {
      await f.fh.truncate(f.synced);
      await f.fh.datasync();
      await this.closeFile(f);
      if (f.synced === 0) await rm(f.path);
      else await rename(f.path, f.path.slice(0, -OPEN_SUFFIX.length));
    } catch {
      if (!f.done) await this.closeFile(f).catch(() => undefined);
    }
  }
}
