import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDataDir, type QuantaProcess, removeDataDir, startQuanta } from '../helpers/quanta-process.ts';

/**
 * Kill -9 in the middle of an erasure: the bulk deletion jobs queued or in progress when Quanta
 * died are resumed at the next start and run to their end; none is left half done, and every
 * user they name is gone from the identity store, the profiles and the log.
 */

const USERS = 4000;
const PER_JOB = 1000;

let quanta: QuantaProcess | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  await quanta?.kill('SIGKILL');
  removeDataDir(dataDir);
});

const id = (i: number) => `crash-erase-${i}`;

function counts(dir: string) {
  const state = new Database(join(dir, 'state.sqlite'), { readonly: true });
  const log = new Database(join(dir, 'log.sqlite'), { readonly: true });
  try {
    return {
      identities: state.prepare("SELECT count(*) FROM identity_records WHERE identities LIKE '%crash-erase-%'").pluck().get() as number,
      profiles: state.prepare('SELECT count(*) FROM profiles').pluck().get() as number,
      unfinished: state.prepare("SELECT count(*) FROM erasure_jobs WHERE status <> 'done'").pluck().get() as number,
      records: log.prepare('SELECT count(*) FROM log').pluck().get() as number,
    };
  } finally {
    state.close();
    log.close();
  }
}

describe('erasure crash recovery (kill -9)', () => {
  it('resumes the erasures begun before the kill and completes them', async () => {
    dataDir = makeDataDir('quanta-erase-crash-');
    quanta = await startQuanta({ dataDir });
    const headers = { authorization: quanta.authorization, 'content-type': 'application/json' };
    for (let at = 0; at < USERS; at += 100) {
      const batches = Array.from({ length: 100 }, (_, k) => ({ environment: 'production', user_identities: { customer_id: id(at + k) }, user_attributes: { n: at + k }, events: [] }));
      const res = await fetch(`${quanta.url}/v2/bulkevents`, { method: 'POST', headers, body: JSON.stringify(batches) });
      expect(res.status).toBe(202);
    }
    await quanta.waitForLag0();
    expect(counts(dataDir)).toMatchObject({ identities: USERS, profiles: USERS, records: USERS });

    const jobs: string[] = [];
    for (let at = 0; at < USERS; at += PER_JOB) {
      const items = Array.from({ length: PER_JOB }, (_, k) => ({ identity_type: 'customer_id', value: id(at + k), action: 'delete' }));
      const res = await fetch(`${quanta.url}/userprofile/experimental/bulkdelete`, { method: 'POST', headers, body: JSON.stringify(items) });
      expect(res.status).toBe(202);
      jobs.push(((await res.json()) as { job_id: string }).job_id);
    }
    // Killed as soon as the first chunk of users is erased.
    for (;;) {
      const res = await fetch(`${quanta.url}/userprofile/experimental/bulkdelete/${jobs[0]}`, { headers });
      if (((await res.json()) as { users_done: number }).users_done > 0) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    await quanta.kill('SIGKILL');
    const atKill = counts(dataDir);
    expect(atKill.unfinished).toBeGreaterThan(0);
    expect(atKill.identities).toBeGreaterThan(0);

    quanta = await startQuanta({ dataDir });
    const deadline = Date.now() + 60_000;
    for (const job of jobs) {
      for (;;) {
        const res = await fetch(`${quanta.url}/userprofile/experimental/bulkdelete/${job}`, { headers });
        const body = (await res.json()) as { status: string; users_done: number; users_total: number };
        if (body.status === 'done') {
          expect(body).toMatchObject({ users_done: PER_JOB, users_total: PER_JOB });
          break;
        }
        if (Date.now() > deadline) throw new Error(`job ${job} not done after the restart: ${JSON.stringify(body)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    expect(counts(dataDir)).toEqual({ identities: 0, profiles: 0, unfinished: 0, records: 0 });
    expect(quanta.output()).toMatch(/resuming an erasure begun before Quanta stopped/);
  }, 120_000);
});
