import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.ts';
import type { Mpid } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { API_KEY, API_SECRET, basicAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { erase, EraseError, parseIdsFile } from './erase.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
let q: Quanta;
let url: string;

const search = async (customerId: string) => {
  const res = await q.app.inject({ method: 'POST', url: '/identity/v1/search', headers: { authorization: basicAuth() }, payload: { environment: 'production', known_identities: { customerid: customerId } } });
  return res.statusCode === 200 ? ((res.json() as { mpid: Mpid }).mpid as Mpid) : undefined;
};
const idsFile = (text: string) => {
  const file = join(tempDir('erase-cli'), 'ids.txt');
  writeFileSync(file, text);
  return file;
};

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  await q.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(q.app.server.address() as AddressInfo).port}`;
  const batches = Array.from({ length: 7 }, (_, i) => ({ environment: 'production', user_identities: { customer_id: `cli-${i}` }, events: [] }));
  const res = await q.app.inject({ method: 'POST', url: '/v2/bulkevents', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(batches) });
  expect(res.statusCode).toBe(202);
  await q.processor.caughtUp();
});
afterAll(async () => {
  await q.close();
});

describe('parseIdsFile', () => {
  it('reads MPIDs, type:value identities and CSV rows, with or without a header, skipping blanks and comments', () => {
    expect(parseIdsFile('# users\n-42\n\nemail:ada@example.com\ncustomer_id,c-1\n')).toEqual([
      { mpid: '-42', action: 'delete' },
      { identity_type: 'email', value: 'ada@example.com', action: 'delete' },
      { identity_type: 'customer_id', value: 'c-1', action: 'delete' },
    ]);
    expect(parseIdsFile('identity_type,value\r\n"email","a@b.c"\r\n')).toEqual([{ identity_type: 'email', value: 'a@b.c', action: 'delete' }]);
    expect(parseIdsFile('mpid\n7\n8\n')).toEqual([{ mpid: '7', action: 'delete' }, { mpid: '8', action: 'delete' }]);
  });

  it('names the first line it cannot read', () => {
    expect(() => parseIdsFile('7\nnonsense\n')).toThrow(/line 2: write an MPID, type:value/);
    expect(() => parseIdsFile('mpid\nabc\n')).toThrow(/line 2: "abc" is not an MPID/);
  });
});

describe('quanta erase', () => {
  it('erases the users of a file through the running Quanta, in chunks, following each job to its end', async () => {
    const mpids = [await search('cli-0'), await search('cli-1')];
    const file = idsFile(`${mpids[0]}\n${mpids[1]}\ncustomer_id:cli-2\ncustomer_id,cli-3\ncustomer_id:nobody\n`);
    const totals = await erase(loadConfig({ QUANTA_DATA_DIR: q.config.dataDir }), { file, url, key: API_KEY, secret: API_SECRET, chunk: 2, progress: false, pollMs: 20 });
    expect(totals).toEqual({ items: 5, users: 4, notFound: 1, requests: 3 });
    for (const id of ['cli-0', 'cli-1', 'cli-2', 'cli-3']) expect(await search(id)).toBeUndefined();
    expect(await search('cli-4')).toBeDefined();
  });

  it('runs as a command, with the key and secret from the environment', async () => {
    const out = await run(process.execPath, ['bin/quanta.js', 'erase', '--file', idsFile('customer_id:cli-5\n'), '--url', url], {
      cwd: root,
      env: { ...process.env, QUANTA_DATA_DIR: q.config.dataDir, QUANTA_API_KEY: API_KEY, QUANTA_API_SECRET: API_SECRET },
      encoding: 'utf8',
    });
    expect(out.stdout).toMatch(/Erased 1 users for 1 ids \(0 matched no user\) in 1 requests\./);
    expect(await search('cli-5')).toBeUndefined();
  });

  it('says what to do for wrong credentials, an unreadable file or a Quanta not running', async () => {
    const config = loadConfig({ QUANTA_DATA_DIR: q.config.dataDir });
    const file = idsFile('customer_id:cli-6\n');
    await expect(erase(config, { file, url, key: API_KEY, secret: 'wrong', chunk: 10, progress: false })).rejects.toThrow(/^403: /);
    await expect(erase(config, { file: join(tempDir('erase-cli'), 'missing.txt'), url, key: API_KEY, secret: API_SECRET, chunk: 10, progress: false })).rejects.toThrow(/Cannot read/);
    await expect(erase(config, { file, url: 'http://127.0.0.1:9', key: API_KEY, secret: API_SECRET, chunk: 10, progress: false })).rejects.toThrow(EraseError);
    await expect(erase(config, { file, url, chunk: 10, progress: false })).rejects.toThrow(/No input key/);
    const failed = await run(process.execPath, ['bin/quanta.js', 'erase', '--file', idsFile('oops\n'), '--url', url, '--key', API_KEY, '--secret', API_SECRET], {
      cwd: root,
      env: { ...process.env, QUANTA_DATA_DIR: q.config.dataDir },
      encoding: 'utf8',
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringMatching(/quanta erase: line 1: write an MPID/) });
    expect(await search('cli-6')).toBeDefined();
  });
});
