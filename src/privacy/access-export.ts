import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchCursor, EventStore } from '../analytics/event-store.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import { stringifyLossless } from '../kernel/lossless-json.ts';
import { type ZipEntry, ZipFile } from './access-export-zip.ts';
import type { CollectedData, SubjectCollector } from './subject-data.ts';

/** The folder of the data dir that holds access and portability results. */
export const RESULTS_FOLDER = 'dsr-results';

/** What `empty.txt` says: the request's users were found, but nothing is kept of them. */
export const EMPTY_TEXT = 'The identities in the request matched one or more users (MPIDs), but no data is kept for them.\n';

/** What an {@link AccessExport} reads and where it writes. */
export interface AccessExportDeps {
  /** Where result files go (`<dataDir>/dsr-results`); made when missing. */
  readonly dir: string;
  /** A user's live profile as `profile.jsonl` shows it (undefined: no profile and no identities are kept). */
  profileOf(ws: WorkspaceId, mpid: Mpid): Promise<Record<string, unknown> | undefined>;
  /** A page of a user's stored batches (the event store's, through the processor thread). */
  readonly batchesOf: EventStore['batchesOf'];
  /** Batches read per page (bounds memory). */
  readonly pageSize?: number;
  /** Lines per batch file (`batches-00001.jsonl`, ...) before the next begins. */
  readonly linesPerFile?: number;
}

/** A request id names its result file: nothing but letters, digits, `-`, `_` and `.` (a UUID is). */
const SAFE_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/**
 * An access or portability request's result, as mParticle's DSR guide describes it: a zip of
 * JSON Lines files. `profile.jsonl` holds one line per user found: the live profile (user and
 * device identities, user attributes with calculated attributes, audience memberships, consent
 * state). `batches-00001.jsonl`, `batches-00002.jsonl`... hold every stored event batch of the
 * users, one complete batch in the JSON reference format per line, a new file every
 * `linesPerFile` lines. `empty.txt` alone says the users were found but nothing is kept of them.
 *
 * Batches are read a page at a time and compressed as they come, so a user with 100k events
 * costs one page of memory; the zip becomes `<dir>/<requestId>.zip` only once complete.
 *
 * @example
 *   const result = await accessExport.collect(ws, [mpid], request.subjectRequestId);
 *   if (result.kind === 'file') serve(result.path);
 */
export class AccessExport implements SubjectCollector {
  private readonly pageSize: number;
  private readonly linesPerFile: number;

  constructor(private readonly deps: AccessExportDeps) {
    this.pageSize = Math.max(1, deps.pageSize ?? 500);
    this.linesPerFile = Math.max(1, deps.linesPerFile ?? 10_000);
  }

  async collect(ws: WorkspaceId, mpids: readonly Mpid[], requestId: string): Promise<CollectedData> {
    if (mpids.length === 0) return { kind: 'none' };
    if (!SAFE_ID.test(requestId)) throw new Error(`A request id cannot name a result file: ${JSON.stringify(requestId)}`);
    await mkdir(this.deps.dir, { recursive: true });
    const path = join(this.deps.dir, `${requestId}.zip`);
    const users = [...new Set(mpids)];
    // One line per user: small, so they are read before anything is written (profile.jsonl comes first).
    const profiles: string[] = [];
    for (const mpid of users) {
      const profile = await this.deps.profileOf(ws, mpid);
      if (profile) profiles.push(`${stringifyLossless(profile)}\n`);
    }
    const zip = await ZipFile.create(path);
    let bytes: number;
    try {
      if (profiles.length > 0) await writeEntry(zip, 'profile.jsonl', profiles.join(''));
      const batches = await this.writeBatches(zip, ws, users);
      if (profiles.length === 0 && batches === 0) await writeEntry(zip, 'empty.txt', EMPTY_TEXT);
      bytes = await zip.finish();
    } catch (error) {
      await zip.abort();
      throw error;
    }
    return { kind: 'file', path, bytes };
  }

  /** Every stored batch of the users into `batches-NNNNN.jsonl` files; answers how many. */
  private async writeBatches(zip: ZipFile, ws: WorkspaceId, users: readonly Mpid[]): Promise<number> {
    let entry: ZipEntry | undefined;
    let files = 0;
    let inFile = 0;
    let total = 0;
    for (const mpid of users) {
      let after: BatchCursor | null = null;
      for (;;) {
        const page = await this.deps.batchesOf(ws, mpid, after, this.pageSize);
        let text = '';
        for (const batch of page) {
          if (!entry || inFile === this.linesPerFile) {
            if (entry) {
              await entry.write(text);
              await entry.end();
              text = '';
            }
            entry = zip.entry(`batches-${String(++files).padStart(5, '0')}.jsonl`);
            inFile = 0;
          }
          text += `${batch.json}\n`;
          inFile += 1;
          total += 1;
        }
        if (entry && text !== '') await entry.write(text);
        if (page.length < this.pageSize) break;
        const last = page[page.length - 1]!;
        after = { partition: last.partition, logOffset: last.logOffset };
      }
    }
    await entry?.end();
    return total;
  }
}

async function writeEntry(zip: ZipFile, name: string, text: string): Promise<void> {
  const entry = zip.entry(name);
  await entry.write(text);
  await entry.end();
}
