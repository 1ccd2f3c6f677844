import type { ConsentStore, StoredPrivacy } from '../../consent/consent-store.ts';
import type { Regulation } from '../../consent/consent-state.ts';
import type { ConsentPurpose, PrivacyValues } from '../../consent/privacy-settings.ts';
import { type WorkspaceId, workspaceId } from '../../kernel/ids.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

/** The consent store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const CONSENT_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: "workspaces' privacy settings, their GDPR purposes and the settings revision",
    up: `
      CREATE TABLE IF NOT EXISTS privacy_settings (
        workspace_id INTEGER PRIMARY KEY, gdpr_enabled INTEGER NOT NULL, ccpa_enabled INTEGER NOT NULL,
        erasure_waiting_days INTEGER NOT NULL, gpc_enabled INTEGER NOT NULL, gpc_regulation TEXT NOT NULL,
        gpc_purpose TEXT, updated_at_ms INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS consent_purposes (
        workspace_id INTEGER NOT NULL, purpose TEXT NOT NULL, added_at_ms INTEGER NOT NULL, added_by TEXT NOT NULL,
        PRIMARY KEY (workspace_id, purpose)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS consent_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
      INSERT OR IGNORE INTO consent_revision (id, revision) VALUES (1, 0);
    `,
  },
];

interface SettingsRow {
  workspace_id: number;
  gdpr_enabled: number;
  ccpa_enabled: number;
  erasure_waiting_days: number;
  gpc_enabled: number;
  gpc_regulation: string;
  gpc_purpose: string | null;
  updated_at_ms: number;
}

interface PurposeRow {
  workspace_id: number;
  purpose: string;
  added_at_ms: number;
  added_by: string;
}

const valuesOf = (r: SettingsRow): PrivacyValues => ({
  gdprEnabled: r.gdpr_enabled === 1,
  ccpaEnabled: r.ccpa_enabled === 1,
  erasureWaitingPeriodDays: r.erasure_waiting_days,
  gpc: { enabled: r.gpc_enabled === 1, regulation: r.gpc_regulation as Regulation, purpose: r.gpc_purpose },
});

/**
 * Privacy settings in SQLite: a row of values per workspace, a row per GDPR purpose (never
 * deleted: the adapter has no statement that removes one), and a revision bumped in the same
 * transaction as each write. Settings are configuration: every commit keeps `openSqlite`'s fsync.
 */
export class SqliteConsentStore implements ConsentStore {
  private readonly db: Sqlite;
  private readonly saveTx;
  private readonly addTx;
  private readonly selectSettings;
  private readonly selectPurposes;
  private readonly selectRevision;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'consent', CONSENT_MIGRATIONS, options);
    const bump = this.db.prepare('UPDATE consent_revision SET revision = revision + 1 WHERE id = 1');
    const upsert = this.db.prepare(
      `INSERT INTO privacy_settings (workspace_id, gdpr_enabled, ccpa_enabled, erasure_waiting_days, gpc_enabled, gpc_regulation, gpc_purpose, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id) DO UPDATE SET gdpr_enabled = excluded.gdpr_enabled, ccpa_enabled = excluded.ccpa_enabled,
         erasure_waiting_days = excluded.erasure_waiting_days, gpc_enabled = excluded.gpc_enabled, gpc_regulation = excluded.gpc_regulation,
         gpc_purpose = excluded.gpc_purpose, updated_at_ms = excluded.updated_at_ms`,
    );
    const insertPurpose = this.db.prepare('INSERT OR IGNORE INTO consent_purposes (workspace_id, purpose, added_at_ms, added_by) VALUES (?, ?, ?, ?)');
    this.saveTx = this.db.transaction((ws: WorkspaceId, v: PrivacyValues, atMs: number) => {
      upsert.run(ws, Number(v.gdprEnabled), Number(v.ccpaEnabled), v.erasureWaitingPeriodDays, Number(v.gpc.enabled), v.gpc.regulation, v.gpc.purpose, atMs);
      bump.run();
    });
    this.addTx = this.db.transaction((ws: WorkspaceId, p: ConsentPurpose): boolean => {
      const added = insertPurpose.run(ws, p.purpose, p.addedAtMs, p.addedBy).changes > 0;
      if (added) bump.run();
      return added;
    });
    this.selectSettings = this.db.prepare('SELECT * FROM privacy_settings');
    this.selectPurposes = this.db.prepare('SELECT * FROM consent_purposes ORDER BY workspace_id, added_at_ms, purpose');
    this.selectRevision = this.db.prepare('SELECT revision FROM consent_revision WHERE id = 1').pluck();
  }

  async all(): Promise<StoredPrivacy[]> {
    const read = this.db.transaction(() => ({ settings: this.selectSettings.all() as SettingsRow[], purposes: this.selectPurposes.all() as PurposeRow[] }));
    const { settings, purposes } = read();
    const byWs = new Map<number, { values: PrivacyValues | undefined; updatedAtMs: number | null; purposes: ConsentPurpose[] }>();
    const entry = (ws: number) => {
      let e = byWs.get(ws);
      if (!e) byWs.set(ws, (e = { values: undefined, updatedAtMs: null, purposes: [] }));
      return e;
    };
    for (const r of settings) Object.assign(entry(r.workspace_id), { values: valuesOf(r), updatedAtMs: r.updated_at_ms });
    for (const r of purposes) entry(r.workspace_id).purposes.push({ purpose: r.purpose, addedAtMs: r.added_at_ms, addedBy: r.added_by });
    return [...byWs].map(([ws, e]) => ({ workspaceId: workspaceId(ws), ...e }));
  }

  async saveValues(ws: WorkspaceId, values: PrivacyValues, atMs: number): Promise<void> {
    this.saveTx.immediate(ws, values, atMs);
  }

  async addPurpose(ws: WorkspaceId, purpose: ConsentPurpose): Promise<boolean> {
    return this.addTx.immediate(ws, purpose);
  }

  async revision(): Promise<number> {
    return this.selectRevision.get() as number;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
