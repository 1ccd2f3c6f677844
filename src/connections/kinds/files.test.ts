import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { inputId, type Mpid, parseMpid, workspaceId } from '../../kernel/ids.ts';
import { parseJsonLossless } from '../../kernel/lossless-json.ts';
import { DeliveryFailed, type Output, type Settings } from '../output.ts';
import { parseSettings } from '../settings.ts';
import type { StreamBatch } from '../stream-batch.ts';
import { fileFailure, files, filesOutput } from './files.ts';

const ADA = parseMpid('-8433569802424681543')!;
/** 2026-01-01T10:00:00.000Z */
const T = 1767261600000;
const HOUR = 3_600_000;

function batchOf(seq: number, opts: { ws?: number; at?: number; mpid?: Mpid; pad?: number } = {}): StreamBatch {
  return {
    seq,
    workspaceId: workspaceId(opts.ws ?? 7),
    inputId: inputId(3),
    mpid: opts.mpid ?? ADA,
    receivedAtMs: opts.at ?? T,
    batch: {
      events: [{ event_type: 'custom_event', data: { event_name: `n${seq}` } }],
      environment: 'production',
      user_identities: {},
      user_attributes: opts.pad ? { pad: 'x'.repeat(opts.pad) } : {},
    },
  };
}

function settingsOf(raw: Record<string, unknown>): Settings {
  const parsed = parseSettings(files, raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.value;
}

/** Every file under a directory, relative to it, sorted by name with part numbers compared as numbers. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

const linesOf = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseJsonLossless(l) as { quanta: { seq: number }; events: { data: { event_name: string } }[] });

const opened: Output[] = [];
const open = (settings: Settings, options?: Parameters<typeof filesOutput>[1]) => {
  const output = filesOutput(settings, options);
  opened.push(output);
  return output;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

describe('the files output\'s settings', () => {
  it('take a directory, with 64 MiB and one hour as the roll defaults', () => {
    expect(settingsOf({ directory: 'out' })).toEqual({ directory: 'out', max_file_bytes: 64 * 1024 * 1024, max_file_seconds: 3600 });
  });

  it('refuse files of no size or age', () => {
    const parsed = parseSettings(files, { directory: '/tmp/x', max_file_bytes: 0, max_file_seconds: 0 });
    expect(parsed.ok || parsed.problems).toEqual(['settings.max_file_bytes: must be at least 1', 'settings.max_file_seconds: must be at least 1']);
  });
});

describe('a files output', () => {
  it('writes each batch as a line of its workspace\'s, date\'s and hour\'s file (UTC receive time), renamed complete when closed', async () => {
    const dir = tempDir('quanta-files');
    const output = open(settingsOf({ directory: dir }), { now: () => T + 10 });
    await output.deliver([batchOf(1), batchOf(2, { at: T + HOUR }), batchOf(3, { at: T + 14 * HOUR }), batchOf(4, { ws: 8 })], 'c5-0-4');
    expect(tree(dir).every((p) => p.endsWith('.ndjson.open'))).toBe(true);
    await output.close();
    const partitions = tree(dir).map((p) => p.replace(/\/part-\d+-\d+\.ndjson$/, ''));
    expect(partitions).toEqual([
      'workspace=7/date=2026-01-01/hour=10',
      'workspace=7/date=2026-01-01/hour=11',
      'workspace=7/date=2026-01-02/hour=00',
      'workspace=8/date=2026-01-01/hour=10',
    ]);
    expect(tree(dir).every((p) => new RegExp(`/part-${T + 10}-\\d+\\.ndjson$`).test(p))).toBe(true);

    const first = join(dir, tree(dir)[0]!);
    const text = readFileSync(first, 'utf8');
    expect(text).toContain(`"mpid":${ADA}`);
    expect(text.endsWith('\n')).toBe(true);
    expect(linesOf(first)).toEqual([
      {
        events: [{ event_type: 'custom_event', data: { event_name: 'n1' } }],
        environment: 'production',
        user_identities: {},
        user_attributes: {},
        mpid: ADA,
        quanta: { seq: 1, idempotency_key: 'c5-0-4-0', workspace_id: 7, input_id: 3, received_at_ms: T },
      },
    ]);
  });

  it('has its lines on disk when a delivery resolves, concurrent deliveries included', async () => {
    const dir = tempDir('quanta-files');
    const output = open(settingsOf({ directory: dir }));
    await Promise.all(Array.from({ length: 20 }, (_, i) => output.deliver([batchOf(2 * i), batchOf(2 * i + 1)], `k${i}`)));
    const [only, ...more] = tree(dir);
    expect(more).toEqual([]);
    expect(only).toMatch(/\.ndjson\.open$/);
    const seqs = linesOf(join(dir, only!)).map((l) => l.quanta.seq);
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('rolls a file before it would grow past max_file_bytes, keeping the lines in order', async () => {
    const dir = tempDir('quanta-files');
    const output = open(settingsOf({ directory: dir, max_file_bytes: 1000 }));
    for (let i = 0; i < 10; i++) await output.deliver([batchOf(i, { pad: 100 })], `k${i}`);
    await output.deliver([batchOf(10, { pad: 1000 })], 'k10');
    await output.close();
    // A line is some 380 bytes: two to a file, and the long one alone in the last.
    const paths = tree(dir).map((p) => join(dir, p));
    expect(paths.map((p) => linesOf(p).length)).toEqual([2, 2, 2, 2, 2, 1]);
    for (const p of paths.slice(0, -1)) expect(readFileSync(p).length).toBeLessThanOrEqual(1000);
    expect(readFileSync(paths.at(-1)!).length).toBeGreaterThan(1000);
    expect(paths.flatMap((p) => linesOf(p).map((l) => l.quanta.seq))).toEqual(Array.from({ length: 11 }, (_, i) => i));
  });

  it('rolls a file max_file_seconds after it was started: at the next write, or while no batch comes', async () => {
    const dir = tempDir('quanta-files');
    let now = T;
    const output = open(settingsOf({ directory: dir, max_file_seconds: 60 }), { now: () => now, checkEveryMs: 10 });
    await output.deliver([batchOf(1)], 'k1');
    now += 59_999;
    await output.deliver([batchOf(2)], 'k2');
    expect(tree(dir)).toHaveLength(1);
    now += 1;
    await output.deliver([batchOf(3)], 'k3');
    const [done, open2] = tree(dir);
    expect(done).toMatch(new RegExp(`part-${T}-\\d+\\.ndjson$`));
    expect(open2).toMatch(new RegExp(`part-${T + 60_000}-\\d+\\.ndjson\\.open$`));
    expect(linesOf(join(dir, done!)).map((l) => l.quanta.seq)).toEqual([1, 2]);

    now += 60_000;
    await expect.poll(() => tree(dir).filter((p) => p.endsWith('.open'))).toEqual([]);
    expect(tree(dir)).toHaveLength(2);
  });

  it('finishes the files a stopped writer left open, cutting a half-written last line, and not those another output is writing', async () => {
    const dir = tempDir('quanta-files');
    const hour = join(dir, 'workspace=7', 'date=2026-01-01', 'hour=09');
    mkdirSync(hour, { recursive: true });
    writeFileSync(join(hour, 'part-1-0.ndjson.open'), '{"a":1}\n{"a":2}\n{"a":');
    writeFileSync(join(hour, 'part-1-1.ndjson.open'), '{"a":');
    const running = open(settingsOf({ directory: dir }), { now: () => T });
    await running.deliver([batchOf(1)], 'k1');
    const writing = tree(dir).find((p) => p.startsWith('workspace=7/date=2026-01-01/hour=10/'))!;
    expect(writing).toMatch(/\.open$/);

    const replay = open(settingsOf({ directory: dir }), { now: () => T });
    await replay.deliver([batchOf(2, { ws: 9 })], 'k2');
    expect(readFileSync(join(hour, 'part-1-0.ndjson'), 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(tree(dir).filter((p) => p.includes('hour=09'))).toEqual(['workspace=7/date=2026-01-01/hour=09/part-1-0.ndjson']);
    expect(tree(dir)).toContain(writing);
  });

  it('fails as permanent when its directory cannot be one', async () => {
    const dir = tempDir('quanta-files');
    writeFileSync(join(dir, 'a-file'), '');
    const output = open(settingsOf({ directory: join(dir, 'a-file', 'out') }));
    const error: unknown = await output.deliver([batchOf(1)], 'k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryFailed);
    expect((error as DeliveryFailed).retry).toBe('permanent');
    expect((error as DeliveryFailed).message).toMatch(/ENOTDIR/);
  });

  it('fails as retryable on a full disk or an I/O error', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: oops`), { code });
    expect(['ENOSPC', 'EIO', 'EDQUOT', 'EMFILE'].map((c) => fileFailure(errno(c), '/d').retry)).toEqual(['retry', 'retry', 'retry', 'retry']);
    expect(['EACCES', 'ENOTDIR', 'EROFS'].map((c) => fileFailure(errno(c), '/d').retry)).toEqual(['permanent', 'permanent', 'permanent']);
  });
});
