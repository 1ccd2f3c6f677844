import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Zip, ZipDeflate } from 'fflate';

/** One file being written into a {@link ZipFile}. */
export interface ZipEntry {
  /** Adds text to the entry; resolves once what it compressed to is written. */
  write(text: string): Promise<void>;
  /** Ends the entry (the next may start). */
  end(): Promise<void>;
}

/**
 * A zip written as it is made, to a temporary file beside `path` that becomes `path` only when
 * it is complete and durable (`finish`): a reader never sees half a zip, and memory holds one
 * chunk at a time however large the entries grow. Entries are written one after another.
 *
 * @example
 *   const zip = await ZipFile.create('/data/dsr-results/r1.zip');
 *   const entry = zip.entry('profile.jsonl');
 *   await entry.write('{"mpid":1}\n');
 *   await entry.end();
 *   const bytes = await zip.finish();
 */
export class ZipFile {
  private written: Promise<void> = Promise.resolve();
  private failure: unknown;
  private bytes = 0;
  private done = false;
  private readonly ended: Promise<void>;

  private constructor(
    private readonly path: string,
    private readonly temp: string,
    private readonly file: FileHandle,
    private readonly zip: Zip = new Zip(),
  ) {
    let end: () => void = () => undefined;
    this.ended = new Promise((resolve) => (end = resolve));
    zip.ondata = (error, chunk, final) => {
      if (error) this.failure ??= error;
      else {
        // fflate may reuse what it hands over: the copy is what waits to be written.
        const copy = Buffer.from(chunk);
        this.bytes += copy.length;
        this.written = this.written.then(() => this.file.write(copy).then(() => undefined));
      }
      if (final || error) end();
    };
  }

  /** Starts a zip that will be `path` (its directory must exist). */
  static async create(path: string): Promise<ZipFile> {
    const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    return new ZipFile(path, temp, await open(temp, 'wx'));
  }

  /** A new entry, deflated. */
  entry(name: string): ZipEntry {
    const deflate = new ZipDeflate(name, { level: 6 });
    this.zip.add(deflate);
    const push = async (text: string, final: boolean) => {
      deflate.push(Buffer.from(text), final);
      await this.settled();
    };
    return { write: (text) => push(text, false), end: () => push('', true) };
  }

  /** Ends the zip, makes it durable and renames it to its path; answers its size in bytes. */
  async finish(): Promise<number> {
    this.zip.end();
    await this.ended;
    await this.settled();
    await this.file.sync();
    await this.file.close();
    await rename(this.temp, this.path);
    this.done = true;
    return this.bytes;
  }

  /** Gives up: the temporary file is removed, `path` is left as it was. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.zip.terminate();
    await this.written.catch(() => undefined);
    await this.file.close().catch(() => undefined);
    await rm(this.temp, { force: true });
  }

  private async settled(): Promise<void> {
    await this.written;
    if (this.failure !== undefined) throw this.failure;
  }
}
