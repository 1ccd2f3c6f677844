import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES } from '../capabilities.ts';
import { loadConfig } from '../config/config.ts';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import { parseJsonLossless } from '../kernel/lossless-json.ts';
import { PROFILE_FIELDS } from '../profiles/profile-api.ts';
import type { Capability } from '../runtime/capability.ts';
import { createQuanta, type Quanta } from '../runtime/app-runtime.ts';
import { openStorage } from '../storage/engines.ts';
import { API_KEY, API_SECRET, basicAuth, bearerAuth, CLIENT_ID, CLIENT_SECRET } from '../../test/helpers/quanta-app.ts';
import { until } from '../../test/helpers/receiver.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { EMPTY_TEXT } from './access-export.ts';
import { accessExportOf } from './privacy.module.ts';
import type { SubjectCollector } from './subject-data.ts';

const ws = workspaceId(1);
let q: Quanta;
let collector: SubjectCollector;
let mpid: Mpid;
let bearer: string;
const attributeName = 'Lifetime spend';

/** The capability a privacy module would be: it builds the collector from its app context. */
const probe: Capability = {
  name: 'access-export-probe',
  app(ctx) {
    collector = accessExportOf(ctx);
  },
};

const sent = [
  {
    environment: 'production',
    source_request_id: 'access-1',
    ip: '203.0.113.9',
    timestamp_unixtime_ms: 1_700_000_000_000,
    user_identities: { customer_id: 'access-user', email: 'access@example.com' },
    device_info: { platform: 'iOS', ios_idfv: 'idfv-1' },
    user_attributes: { plan: 'gold' },
    consent_state: { gdpr: { marketing: { consented: true, document: 'v1', timestamp_unixtime_ms: 1_700_000_000_000 } } },
    events: [
      { event_type: 'custom_event', data: { event_name: 'Purchase', custom_event_type: 'transaction', custom_attributes: { amount: 30 }, timestamp_unixtime_ms: Date.now() - 1000 } },
      { event_type: 'screen_view', data: { screen_name: 'Home', timestamp_unixtime_ms: Date.now() - 500 } },
    ],
  },
  { environment: 'production', source_request_id: 'access-2', user_identities: { customer_id: 'access-user' }, user_attributes: { plan: 'platinum' }, events: [] },
];

beforeAll(async () => {
  const config = loadConfig({
    QUANTA_DATA_DIR: tempDir('quanta'),
    QUANTA_API_KEY: API_KEY,
    QUANTA_API_SECRET: API_SECRET,
    QUANTA_CLIENT_ID: CLIENT_ID,
    QUANTA_CLIENT_SECRET: CLIENT_SECRET,
    QUANTA_RATE_LIMIT: '0',
    LOG_LEVEL: 'silent',
    PORT: '0',
  });
  q = await createQuanta(config, pino({ level: 'silent' }), {
    capabilities: [...CAPABILITIES, probe],
    storage: openStorage(config, 'app'),
    processor: { entry: new URL('../processor-main.mjs', import.meta.url), workerData: { config } },
  });
  bearer = await bearerAuth(q);
  const base = '/platform/v2/workspaces/1/calculatedattributes';
  const platform = (url: string, payload?: unknown) =>
    q.app.inject({ method: 'POST', url, headers: { authorization: bearer, 'content-type': 'application/json' }, ...(payload ? { payload: JSON.stringify(payload) } : {}) });
  const created = await platform(base, {
    name: attributeName,
    draft_definition: {
      recipe_type: 'event',
      datapoint: { type: 'event', event_name: 'Purchase', attribute_name: 'amount', event_type: 'custom_event', custom_event_type: 'transaction' },
      conditions: [],
      calculation_type: 'sum',
      time_period: { type: 'since', date: `${new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10)}T00:00:00`, within: null, within_unit: null },
      seeding: null,
    },
  });
  expect(created.statusCode, created.body).toBe(200);
  expect((await platform(`${base}/${created.json() as number}/activation`)).statusCode).toBe(204);
  const calculation = `${base}/${created.json() as number}/calculation`;
  await until('the attribute calculated', async () => ((await q.app.inject({ method: 'GET', url: calculation, headers: { authorization: bearer } })).json() as { is_calculated: boolean }).is_calculated);
  for (const batch of sent) {
    const res = await q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(batch) });
    expect(res.statusCode, res.body).toBe(202);
  }
  await q.processor.caughtUp();
  const found = await q.app.inject({ method: 'POST', url: '/identity/v1/search', headers: { authorization: basicAuth() }, payload: { environment: 'production', known_identities: { customerid: 'access-user' } } });
  mpid = (found.json() as { mpid: Mpid }).mpid;
}, 60_000);
afterAll(async () => {
  await q?.close();
});

const unzip = (path: string) => Object.fromEntries(Object.entries(unzipSync(readFileSync(path))).map(([name, bytes]) => [name, strFromU8(bytes)]));

describe('accessExportOf (through the app)', () => {
  it('writes the live profile and every batch the user sent, in the JSON batch format, into <dataDir>/dsr-results/<id>.zip', async () => {
    const result = await collector.collect(ws, [mpid], 'a7551968-d5d6-44b2-9831-815ac9017798');
    expect(result).toMatchObject({ kind: 'file', path: `${q.config.dataDir}/dsr-results/a7551968-d5d6-44b2-9831-815ac9017798.zip` });
    if (result.kind !== 'file') return;
    expect(result.bytes).toBe(readFileSync(result.path).length);
    const files = unzip(result.path);
    expect(Object.keys(files)).toEqual(['profile.jsonl', 'batches-00001.jsonl']);

    const [profileLine, ...moreProfiles] = files['profile.jsonl']!.trimEnd().split('\n');
    expect(moreProfiles).toEqual([]);
    expect(profileLine).toContain(`"mpid":${mpid},`);
    const profile = parseJsonLossless(profileLine!) as Record<string, unknown>;
    const live = await q.use('profileApi').byMpid(ws, mpid, new Set(PROFILE_FIELDS));
    expect(profile).toEqual({ ...live, consent_state: { gdpr: { marketing: expect.objectContaining({ consented: true, document: 'v1' }) }, ccpa: {} } });
    expect(profile).toMatchObject({ user_attributes: { plan: 'platinum', [attributeName]: '30' }, audience_memberships: [] });
    expect(profile.user_identities).toEqual(expect.arrayContaining([{ type: 'customer_id', encoding: 'none', value: 'access-user' }, { type: 'email', encoding: 'none', value: 'access@example.com' }]));
    expect(profile.device_identities).toEqual([{ type: 'ios_idfv', encoding: 'none', value: 'idfv-1' }]);

    const lines = files['batches-00001.jsonl']!.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toContain(`"mpid":${mpid}`);
    const batches = lines.map((l) => parseJsonLossless(l) as Record<string, unknown>);
    expect(batches[0]).toMatchObject({ ...sent[0], mpid });
    expect(batches[1]).toMatchObject({ ...sent[1], mpid });
  });

  it('writes empty.txt alone for users it finds nothing of, answers none without users, and leaves no temporary file', async () => {
    const result = await collector.collect(ws, ['123456789' as Mpid], 'nothing-kept');
    expect(result.kind).toBe('file');
    if (result.kind !== 'file') return;
    expect(unzip(result.path)).toEqual({ 'empty.txt': EMPTY_TEXT });
    expect(await collector.collect(ws, [], 'no-users')).toEqual({ kind: 'none' });
    expect(readdirSync(dirname(result.path)).filter((f) => !f.endsWith('.zip'))).toEqual([]);
  });

  it('replaces the file of a request collected again', async () => {
    await collector.collect(ws, ['123456789' as Mpid], 'again');
    const second = await collector.collect(ws, [mpid], 'again');
    if (second.kind !== 'file') throw new Error('no file');
    expect(Object.keys(unzip(second.path))).toEqual(['profile.jsonl', 'batches-00001.jsonl']);
  });

  it('refuses a request id that cannot name a file', async () => {
    await expect(collector.collect(ws, [mpid], '../escape')).rejects.toThrow(/cannot name a result file/);
  });
});
