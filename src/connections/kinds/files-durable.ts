import { type FileHandle, open, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { OPEN_SUFFIX, PARTITION_LEVELS } from './files-layout.ts';

/** Makes a directory's entries durable (a file created or renamed in it), as `fsync` on the file does for its bytes. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Where the last complete line of a file ends: after its last `\n`, read backwards 64 KiB at a time. */
async function endOfLastLine(fh: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await fh.read(chunk, 0, end - start, start);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/**
 * Finishes a file left open (`.ndjson.open`) by a writer that stopped: what follows its last
 * newline (a line cut by a crash: its delivery was never acknowledged, so it is written again) is
 * cut, and the file takes its complete name; one with no complete line is removed.
 */
export async function finishLeftover(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  let end: number;
  try {
    const size = (await fh.stat()).size;
    end = await endOfLastLine(fh, size);
    if (end < size) await fh.truncate(end);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  if (end === 0) await rm(path);
  else await rename(path, path.slice(0, -OPEN_SUFFIX.length));
  await fsyncDir(dirname(path));
}

/** The entries of a directory that match, or none when it is gone (a partition removed while we walk). */
async function entries(dir: string, dirs: boolean, match: (name: string) => boolean): Promise<string[]> {
  try {
    const all = await readdir(dir, { withFileTypes: true });
    return all.filter((e) => (dirs ? e.isDirectory() : e.isFile()) && match(e.name)).map((e) => join(dir, e.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Finishes every file left open under an output's directory ({@link finishLeftover}), except
 * those this process is writing (`writing`: another output of the same directory, such as a
 * dead-letter replay beside the running delivery). Returns the paths finished.
 */
export async function finishLeftovers(root: string, writing: ReadonlySet<string>): Promise<string[]> {
  let dirs = [root];
  for (const level of PARTITION_LEVELS) {
    const next: string[] = [];
    for (const dir of dirs) next.push(...(await entries(dir, true, (name) => level.test(name))));
    dirs = next;
  }
  const finished: string[] = [];
  for (const dir of dirs) {
    for (const path of await entries(dir, false, (name) => name.endsWith(`.ndjson${OPEN_SUFFIX}`))) {
      if (writing.has(path)) continue;
      await finishLeftover(path);
      finished.push(path);
    }
  }
  return finished;
}
