import { Analytics } from '@segment/analytics-node';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDataDir, type QuantaProcess, removeDataDir, startQuanta } from '../helpers/quanta-process.ts';
import { readLog, withEventStore } from '../helpers/stores.ts';

/**
 * Compatibility with the real Segment Node library (`@segment/analytics-node` 3), pointed at a
 * Quanta child process: the writeKey is the input's API key, `host` + `path` name Quanta's
 * `/segment/v1/batch`. The tests run in order: the last one stops Quanta and reads what the
 * earlier ones sent from `events.duckdb` (events), `log.sqlite` (every batch, identify and group
 * too) and `state.sqlite` (the profile).
 */

interface Sent {
  status: number;
  body: string;
}

/** An Analytics client for `writeKey` that records every HTTP response and every delivery error. */
function client(quanta: QuantaProcess, writeKey: string) {
  const analytics = new Analytics({
    writeKey,
    host: quanta.url,
    path: '/segment/v1/batch',
    flushAt: 4,
    maxRetries: 1,
    httpRequestTimeout: 30_000,
  });
  const responses: Sent[] = [];
  const errors: unknown[] = [];
  analytics.on('http_response', (r) => responses.push({ status: r.status, body: r.body as string }));
  analytics.on('error', (e) => errors.push(e));
  return { analytics, responses, errors };
}

const M = {
  identify: 'sdk-identify-1',
  track: 'sdk-track-1',
  page: 'sdk-page-1',
  screen: 'sdk-screen-1',
  group: 'sdk-group-1',
  alias: 'sdk-alias-1',
  anonTrack: 'sdk-anon-track-1',
  refused: 'sdk-refused-1',
} as const;

describe('@segment/analytics-node against Quanta', () => {
  let dataDir: string | undefined;
  let quanta: QuantaProcess;

  beforeAll(async () => {
    dataDir = makeDataDir('quanta-segment-');
    quanta = await startQuanta({ dataDir, apiKey: 'seg-key', apiSecret: 'seg-secret' });
  }, 90_000);

  afterAll(async () => {
    await quanta?.kill('SIGKILL');
    removeDataDir(dataDir);
  });

  it('track, identify, page, screen, group and alias are delivered and answered 200', { timeout: 120_000 }, async () => {
    const { analytics, responses, errors } = client(quanta, quanta.apiKey);
    const timestamp = new Date('2024-05-01T12:00:00.000Z');
    analytics.track({ anonymousId: 'sdk-anon-1', event: 'Browsed', properties: { section: 'shoes' }, messageId: M.anonTrack, timestamp });
    analytics.identify({
      userId: 'sdk-user-1',
      anonymousId: 'sdk-anon-1',
      traits: { email: 'sdk-user-1@example.com', name: 'Sam Dee', plan: 'pro' },
      context: { ip: '203.0.113.9' },
      messageId: M.identify,
    });
    analytics.track({
      userId: 'sdk-user-1',
      event: 'Item Purchased',
      properties: { name: 'Leap to Conclusions Mat', revenue: 14.99 },
      context: { app: { name: 'Shop', version: '2.0.1' }, os: { name: 'Android', version: '14' }, locale: 'en-GB' },
      messageId: M.track,
      timestamp,
    });
    analytics.page({ userId: 'sdk-user-1', category: 'Docs', name: 'Home', properties: { path: '/' }, messageId: M.page });
    analytics.screen({ userId: 'sdk-user-1', name: 'Settings', properties: { tab: 'privacy' }, messageId: M.screen });
    analytics.group({ userId: 'sdk-user-1', groupId: 'sdk-group', traits: { name: 'Initech', employees: 120 }, messageId: M.group });
    analytics.alias({ userId: 'sdk-user-1', previousId: 'sdk-old-id', messageId: M.alias });
    await analytics.closeAndFlush();

    expect(errors).toEqual([]);
    // flushAt 4: at least two requests, each accepted with Segment's 200.
    expect(responses.length).toBeGreaterThanOrEqual(2);
    for (const r of responses) expect(r.status, r.body).toBe(200);
  });

  it('a wrong writeKey is refused (401) and the library reports the failed delivery', { timeout: 120_000 }, async () => {
    const { analytics, responses, errors } = client(quanta, 'not-a-key');
    analytics.track({ userId: 'sdk-user-2', event: 'Never Stored', messageId: M.refused });
    await analytics.closeAndFlush();
    expect(responses.map((r) => r.status)).toEqual([401]);
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as { reason?: unknown }).reason ?? errors[0])).toMatch(/401/);
  });

  it('the event store holds what the library sent', { timeout: 120_000 }, async () => {
    await quanta.waitForLag0();
    expect(await quanta.stop(), quanta.output()).toEqual({ code: 0, signal: null });

    const events = await withEventStore(dataDir!, async (query) =>
      query(`
        SELECT source_request_id AS srid, event_type, event_name, custom_event_type, platform, mpid::VARCHAR AS mpid,
               epoch_ms(event_time) AS ts, data::VARCHAR AS data, user_identities::VARCHAR AS identities,
               device_info::VARCHAR AS device, application_info::VARCHAR AS app
        FROM events_wide ORDER BY source_request_id, event_index`),
    );
    // The event log holds every batch, those without events (identify, group) too.
    const batches = readLog(dataDir!).rows.map((r) => ({
      srid: r.envelope.batch.source_request_id,
      mpid: r.envelope.mpid,
      attributes: r.envelope.batch.user_attributes as Record<string, unknown>,
      identities: r.envelope.batch.user_identities as Record<string, unknown>,
    }));
    const json = (v: unknown) => JSON.parse(String(v)) as Record<string, unknown>;
    const event = (srid: string) => {
      const rows = events.filter((r) => r.srid === srid);
      expect(rows, srid).toHaveLength(1);
      return rows[0]!;
    };
    const batch = (srid: string) => {
      const rows = batches.filter((r) => r.srid === srid);
      expect(rows, srid).toHaveLength(1);
      return rows[0]!;
    };

    // Every message is one batch; identify and group carry no event.
    expect(batches.map((b) => b.srid).sort()).toEqual(
      [M.identify, M.track, M.page, M.screen, M.group, M.alias, M.anonTrack].sort(),
    );
    expect(events).toHaveLength(5);
    expect(events.some((r) => r.srid === M.refused)).toBe(false);

    const track = event(M.track);
    expect(track).toMatchObject({ event_type: 'custom_event', event_name: 'Item Purchased', custom_event_type: 'other', platform: 'Android' });
    expect(Number(track.ts)).toBe(Date.parse('2024-05-01T12:00:00.000Z'));
    expect(json(track.data)).toMatchObject({ custom_attributes: { name: 'Leap to Conclusions Mat', revenue: 14.99 }, source_message_id: M.track });
    expect(json(track.identities)).toEqual({ customer_id: 'sdk-user-1' });
    expect(json(track.device)).toEqual({ platform: 'Android', os_version: '14', locale_language: 'en', locale_country: 'GB' });
    expect(json(track.app)).toEqual({ application_name: 'Shop', application_version: '2.0.1' });

    expect(event(M.page)).toMatchObject({ event_type: 'screen_view', event_name: 'Home' });
    expect(json(event(M.page).data)).toMatchObject({ custom_attributes: { path: '/', category: 'Docs' } });
    expect(event(M.screen)).toMatchObject({ event_type: 'screen_view', event_name: 'Settings' });
    expect(json(event(M.screen).data)).toMatchObject({ custom_attributes: { tab: 'privacy' } });

    const alias = event(M.alias);
    expect(alias.event_type).toBe('user_identity_change');
    expect(json(alias.data)).toMatchObject({
      new: { identity_type: 'customer_id', identity: 'sdk-user-1' },
      old: { identity_type: 'other', identity: 'sdk-old-id' },
    });

    const identify = batch(M.identify);
    expect(identify.identities).toEqual({ customer_id: 'sdk-user-1', other: 'sdk-anon-1', email: 'sdk-user-1@example.com' });
    expect(identify.attributes).toEqual({ name: 'Sam Dee', plan: 'pro' });
    expect(batch(M.group).attributes).toEqual({ 'group.name': 'Initech', 'group.employees': 120, 'group.id': 'sdk-group' });

    // One user: the anonymous track's profile took the customer id at identify (profile conversion).
    const mpids = new Set([M.anonTrack, M.identify, M.track, M.page, M.screen, M.group, M.alias].map((m) => batch(m).mpid));
    expect(mpids.size).toBe(1);
    expect(new Set(events.map((r) => r.mpid))).toEqual(mpids);

    // The profile has the traits and the group.
    const db = new Database(join(dataDir!, 'state.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const doc = db.prepare('SELECT doc FROM profiles WHERE mpid = ?').pluck().get([...mpids][0]) as string;
      expect(JSON.parse(doc)).toMatchObject({
        userAttributes: { name: 'Sam Dee', plan: 'pro', 'group.name': 'Initech', 'group.employees': 120, 'group.id': 'sdk-group' },
      });
    } finally {
      db.close();
    }
  });
});
