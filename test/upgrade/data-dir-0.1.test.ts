import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoreKinds } from '../../src/runtime/capability.ts';
import type { Storage } from '../../src/runtime/storage.ts';
import { openStorage } from '../../src/storage/engines.ts';
import { loadConfig } from '../../src/config/config.ts';
import { type Mpid, parseMpid, workspaceId } from '../../src/kernel/ids.ts';
import { EVENT_STORE_MIGRATIONS } from '../../src/storage/duckdb/event-store-sql.ts';
import { latestVersion, type MigrationReport, observeMigrations } from '../../src/storage/migrations.ts';
import { ACCESS_MIGRATIONS } from '../../src/storage/sqlite/sqlite-access-store.ts';
import { AUDIENCE_MIGRATIONS } from '../../src/storage/sqlite/sqlite-audience-store.ts';
import { CALCULATED_MIGRATIONS } from '../../src/storage/sqlite/sqlite-calculated-store.ts';
import { CATALOG_MIGRATIONS, SqliteCatalogStore } from '../../src/storage/sqlite/sqlite-catalog-store.ts';
import { LOG_MIGRATIONS } from '../../src/storage/sqlite/sqlite-event-log.ts';
import { IDENTITY_MIGRATIONS } from '../../src/storage/sqlite/sqlite-identity-store.ts';
import { PLAN_MIGRATIONS } from '../../src/storage/sqlite/sqlite-plan-store.ts';
import { PLATFORM_MIGRATIONS } from '../../src/storage/sqlite/sqlite-platform-store.ts';
import { PROFILE_MIGRATIONS } from '../../src/storage/sqlite/sqlite-profile-store.ts';
import { QUALITY_MIGRATIONS } from '../../src/storage/sqlite/sqlite-quality-store.ts';
import { CONNECTION_MIGRATIONS } from '../../src/storage/sqlite/sqlite-connection-store.ts';
import { DELIVERY_MIGRATIONS } from '../../src/storage/sqlite/sqlite-delivery-store.ts';
import { CONSENT_MIGRATIONS } from '../../src/storage/sqlite/sqlite-consent-store.ts';
import { DSR_MIGRATIONS } from '../../src/storage/sqlite/sqlite-dsr-store.ts';
import { ERASURE_MIGRATIONS } from '../../src/storage/sqlite/sqlite-erasure-store.ts';
import { unpackDataDir01 } from '../fixtures/data-dir-0.1/unpack.ts';
import { basicAuth, quantaApp } from '../helpers/quanta-app.ts';
import { withEventStore } from '../helpers/stores.ts';

// A data dir made by the code before schema versioning (../fixtures/data-dir-0.1/README.md),
// opened in place by this code.

const MIGRATIONS = {
  events: EVENT_STORE_MIGRATIONS,
  log: LOG_MIGRATIONS,
  platform: PLATFORM_MIGRATIONS,
  access: ACCESS_MIGRATIONS,
  identity: IDENTITY_MIGRATIONS,
  profiles: PROFILE_MIGRATIONS,
  plans: PLAN_MIGRATIONS,
  catalog: CATALOG_MIGRATIONS,
  quality: QUALITY_MIGRATIONS,
  calculated: CALCULATED_MIGRATIONS,
  audiences: AUDIENCE_MIGRATIONS,
  connections: CONNECTION_MIGRATIONS,
  delivery: DELIVERY_MIGRATIONS,
  consent: CONSENT_MIGRATIONS,
  dsr: DSR_MIGRATIONS,
  erasure: ERASURE_MIGRATIONS,
};
const LATEST = Object.fromEntries(Object.entries(MIGRATIONS).map(([store, list]) => [store, latestVersion(list)]));

const ws = workspaceId(1);
const mpid = (text: string) => parseMpid(text) as Mpid;
const CUSTOMER_0 = mpid('7721532658309373948');

/** Opens every store of the data dir as Quanta does, with what opening did to each store's schema. */
async function open(dataDir: string): Promise<{ stores: StoreKinds; storage: Storage; reports: MigrationReport[] }> {
  const reports: MigrationReport[] = [];
  const stop = observeMigrations((r) => reports.push(r));
  const storage = openStorage(loadConfig({ QUANTA_DATA_DIR: dataDir }), 'cli');
  try {
    const stores: Partial<StoreKinds> = {};
    for (const kind of storage.kinds()) (stores as Record<string, unknown>)[kind] = await storage.open(kind);
    return { stores: stores as StoreKinds, storage, reports };
  } finally {
    stop();
  }
}

const byStore = (reports: MigrationReport[]) => [...reports].sort((a, b) => a.store.localeCompare(b.store));

function sqliteVersions(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT store, version FROM schema_versions').all() as { store: string; version: number }[];
    return Object.fromEntries(rows.map((r) => [r.store, r.version]));
  } finally {
    db.close();
  }
}

describe('a data dir made by Quanta 0.1, before schema versioning', () => {
  it('is migrated in place: every store adopts its versions and its data is intact', async () => {
    const dataDir = unpackDataDir01();
    const { stores, storage, reports } = await open(dataDir);
    try {
      expect(byStore(reports)).toEqual(
        byStore(
          Object.entries(MIGRATIONS).map(([store, list]) => ({
            store,
            from: 0,
            to: latestVersion(list),
            applied: list.map(({ version, description }) => ({ version, description })),
          })),
        ),
      );

      // The event store: every event, and each customer's.
      expect(await stores.events.count({ workspaceId: ws })).toBe(25);
      const counts = await Promise.all(['7721532658309373948', '-7304304713220648359', '7098969529990759471'].map((m) => stores.events.count({ workspaceId: ws, mpid: mpid(m) })));
      expect(counts).toEqual([9, 8, 8]);
      // The violations column, read through events_wide: the blocked batch's Purchase kept its record of the dropped attribute.
      const purchase = (await stores.events.list({ workspaceId: ws, mpid: CUSTOMER_0 }, 100)).find((e) => e.logOffset === 13);
      expect(purchase).toMatchObject({ eventName: 'Purchase', violations: [{ validation_error_type: 'unplanned', key: 'coupon' }] });

      expect(await stores.profiles.get(ws, mpid('-7304304713220648359'))).toMatchObject({ userAttributes: { plan: 'gold', age: 40 } });
      expect(await stores.plans.getPlan(ws, 'fixture_plan')).toMatchObject({
        data_plan_name: 'Fixture plan',
        data_plan_versions: [{ version: 1, activated_environment: 'production' }],
      });
      expect(await stores.quality.blocked(ws, { planId: 'fixture_plan' }, 10)).toEqual([
        expect.objectContaining({ mpid: CUSTOMER_0, version: 1, partition: 4, offset: 13, backfilledAtMs: null, metadata: expect.objectContaining({ blocked_event_ids: ['851969'] }) }),
      ]);
      expect(await stores.quality.violations(ws, 'fixture_plan')).toHaveLength(6);

      // The log: its partition count, every record, the processor's place in it.
      expect(stores.log.partitionCount).toBe(8);
      const records = (await Promise.all([2, 4, 7].map((p) => stores.log.read(p, 0, 100)))).flat();
      expect(records.map((r) => r.batch.source_request_id).sort()).toEqual(Array.from({ length: 13 }, (_, i) => `fixture-${i}`).sort());
      expect(await stores.log.committed('processor', 4)).toBe(13);
      expect(await stores.log.lag('processor')).toBe(0);

      // The platform: the bootstrap input, and the API client's credentials (the access store keeps
      // the client itself, made from them when Quanta starts: see the next test).
      expect(stores.platform.inputs()).toEqual([expect.objectContaining({ workspaceId: ws, name: 'Bootstrap input', apiKey: 'fixture-key', apiSecret: 'fixture-secret' })]);
      expect(stores.platform.setting('bootstrap.client_id')).toBe('fixture-client');
      expect(await stores.identity.loadAll()).toHaveLength(4);
      expect((await stores.catalog.points(ws)).map((p) => p.key)).toEqual([
        'custom_event:transaction:Purchase',
        'screen_view::Home',
        'user_attributes',
        'user_identities',
      ]);
    } finally {
      await storage.close();
    }

    // Each file records each of its stores at its latest version.
    expect(sqliteVersions(join(dataDir, 'log.sqlite'))).toEqual({ log: LATEST.log });
    const { events: _events, log: _log, delivery, ...state } = LATEST;
    expect(sqliteVersions(join(dataDir, 'state.sqlite'))).toEqual(state);
    expect(sqliteVersions(join(dataDir, 'delivery.sqlite'))).toEqual({ delivery });
    await withEventStore(dataDir, async (query) => {
      expect(await query('SELECT store, version FROM schema_versions')).toEqual([{ store: 'events', version: LATEST.events }]);
      expect(await query("SELECT data_type FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'violations'")).toEqual([{ data_type: 'JSON' }]);
    });

    // Opened again, nothing is left to apply.
    const again = await open(dataDir);
    await again.storage.close();
    expect(byStore(again.reports)).toEqual(byStore(Object.entries(LATEST).map(([store, v]) => ({ store, from: v, to: v, applied: [] }))));
  });

  it('serves as before once migrated: Quanta starts on it with its credentials and takes a new batch', async () => {
    const dataDir = unpackDataDir01();
    const q = await quantaApp({
      QUANTA_DATA_DIR: dataDir,
      QUANTA_API_KEY: 'fixture-key',
      QUANTA_API_SECRET: 'fixture-secret',
      QUANTA_CLIENT_ID: 'fixture-client',
      QUANTA_CLIENT_SECRET: 'fixture-client-secret',
    });
    try {
      const res = await q.app.inject({
        method: 'POST',
        url: '/v2/events',
        headers: { authorization: basicAuth('fixture-key', 'fixture-secret'), 'content-type': 'application/json' },
        payload: { user_identities: { customer_id: 'customer-0' }, events: [{ event_type: 'screen_view', data: { screen_name: 'Home' } }] },
      });
      expect(res.statusCode).toBe(202);
      const token = await q.app.inject({ method: 'POST', url: '/oauth/token', payload: { client_id: 'fixture-client', client_secret: 'fixture-client-secret', grant_type: 'client_credentials' } });
      expect(token.statusCode).toBe(200);
      await q.processor.caughtUp();
    } finally {
      await q.close();
    }
    const { stores, storage } = await open(dataDir);
    try {
      expect(await stores.events.count({ workspaceId: ws, mpid: CUSTOMER_0 })).toBe(10);
    } finally {
      await storage.close();
    }
  });

  it('is refused, and left as it is, by a Quanta older than the one that last wrote it', () => {
    const dataDir = unpackDataDir01();
    const state = join(dataDir, 'state.sqlite');
    const db = new Database(state);
    db.exec("CREATE TABLE schema_versions (store TEXT PRIMARY KEY, version INTEGER NOT NULL, applied_at TEXT NOT NULL); INSERT INTO schema_versions VALUES ('catalog', 99, 'later')");
    db.close();
    expect(() => new SqliteCatalogStore(state)).toThrow(
      `catalog store: its schema is at version 99, written by a newer Quanta (this one knows up to version ${LATEST.catalog}); upgrade Quanta or use another data dir.`,
    );
    expect(sqliteVersions(state)).toEqual({ catalog: 99 });
  });
});
