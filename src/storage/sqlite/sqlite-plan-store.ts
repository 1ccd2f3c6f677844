import type { WorkspaceId } from '../../kernel/ids.ts';
import type { DataPlan, DataPlanHeader, DataPlanVersion, PlanStore } from '../../planning/plan-store.ts';
import { openSqliteStore, type SqliteMigration } from './migrate-sqlite.ts';
import type { Sqlite } from './open.ts';

/** The plan store's schema in the state file, run by ./migrate-sqlite.ts when the store opens. */
export const PLAN_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'data plans and their versions',
    up: `
      CREATE TABLE IF NOT EXISTS data_plans (
        workspace_id INTEGER NOT NULL, plan_id TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (workspace_id, plan_id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS data_plan_versions (
        workspace_id INTEGER NOT NULL, plan_id TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (workspace_id, plan_id, version)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'the plans revision, bumped by every plan write',
    up: `
      CREATE TABLE plan_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
      INSERT INTO plan_revision (id, revision) VALUES (1, 0);
    `,
  },
];

/**
 * Data plans in SQLite, one JSON document per plan and one per version. Plans are configuration,
 * not derived data, so commits keep `openSqlite`'s fsync on every commit.
 */
export class SqlitePlanStore implements PlanStore {
  private readonly db: Sqlite;
  private readonly createPlanTx;
  private readonly deletePlanTx;
  private readonly createVersionTx;
  private readonly selectPlan;
  private readonly selectPlans;
  private readonly selectVersions;
  private readonly selectWorkspaceVersions;
  private readonly selectVersion;
  private readonly updatePlanStmt;
  private readonly updateVersionStmt;
  private readonly deleteVersionStmt;
  private readonly selectRevision;
  /** Runs a write and, when it changed something, bumps the revision in the same transaction. */
  private readonly counted: <T>(write: () => T, changed: (result: T) => boolean) => T;

  /** `autoCheckpoint: false` when a `Checkpointer` thread checkpoints this file. */
  constructor(file: string, options: { autoCheckpoint?: boolean } = {}) {
    this.db = openSqliteStore(file, 'plans', PLAN_MIGRATIONS, options);
    const insertPlan = this.db.prepare('INSERT OR IGNORE INTO data_plans (workspace_id, plan_id, doc) VALUES (?, ?, ?)');
    const insertVersion = this.db.prepare(
      'INSERT OR IGNORE INTO data_plan_versions (workspace_id, plan_id, version, doc) VALUES (?, ?, ?, ?)',
    );
    this.selectPlan = this.db.prepare('SELECT doc FROM data_plans WHERE workspace_id = ? AND plan_id = ?').pluck();
    this.selectPlans = this.db.prepare('SELECT doc FROM data_plans WHERE workspace_id = ? ORDER BY plan_id').pluck();
    this.selectVersions = this.db
      .prepare('SELECT doc FROM data_plan_versions WHERE workspace_id = ? AND plan_id = ? ORDER BY version')
      .pluck();
    this.selectWorkspaceVersions = this.db
      .prepare('SELECT plan_id, doc FROM data_plan_versions WHERE workspace_id = ? ORDER BY plan_id, version');
    this.selectVersion = this.db
      .prepare('SELECT doc FROM data_plan_versions WHERE workspace_id = ? AND plan_id = ? AND version = ?')
      .pluck();
    this.updatePlanStmt = this.db.prepare('UPDATE data_plans SET doc = ? WHERE workspace_id = ? AND plan_id = ?');
    this.updateVersionStmt = this.db.prepare(
      'UPDATE data_plan_versions SET doc = ? WHERE workspace_id = ? AND plan_id = ? AND version = ?',
    );
    this.deleteVersionStmt = this.db.prepare('DELETE FROM data_plan_versions WHERE workspace_id = ? AND plan_id = ? AND version = ?');
    const deletePlan = this.db.prepare('DELETE FROM data_plans WHERE workspace_id = ? AND plan_id = ?');
    const deleteVersions = this.db.prepare('DELETE FROM data_plan_versions WHERE workspace_id = ? AND plan_id = ?');
    this.selectRevision = this.db.prepare('SELECT revision FROM plan_revision WHERE id = 1').pluck();
    const bump = this.db.prepare('UPDATE plan_revision SET revision = revision + 1 WHERE id = 1');
    const counted = this.db.transaction((write: () => unknown, changed: (result: unknown) => boolean) => {
      const result = write();
      if (changed(result)) bump.run();
      return result;
    });
    // IMMEDIATE: a plan write reads before it writes, and the processor thread writes the same file.
    this.counted = counted.immediate as <T>(write: () => T, changed: (result: T) => boolean) => T;

    this.createPlanTx = this.db.transaction((ws: WorkspaceId, plan: DataPlan): boolean => {
      const { data_plan_versions: versions, ...header } = plan;
      if (insertPlan.run(ws, plan.data_plan_id, JSON.stringify(header)).changes === 0) return false;
      for (const v of versions) {
        if (insertVersion.run(ws, plan.data_plan_id, v.version, JSON.stringify(v)).changes === 0) {
          throw new Error(`Plan ${plan.data_plan_id} lists version ${v.version} twice.`);
        }
      }
      return true;
    });
    this.deletePlanTx = this.db.transaction((ws: WorkspaceId, planId: string): boolean => {
      deleteVersions.run(ws, planId);
      return deletePlan.run(ws, planId).changes > 0;
    });
    this.createVersionTx = this.db.transaction((ws: WorkspaceId, v: DataPlanVersion): 'created' | 'no-plan' | 'exists' => {
      if (this.selectPlan.get(ws, v.data_plan_id) === undefined) return 'no-plan';
      return insertVersion.run(ws, v.data_plan_id, v.version, JSON.stringify(v)).changes === 0 ? 'exists' : 'created';
    });
  }

  async createPlan(ws: WorkspaceId, plan: DataPlan): Promise<boolean> {
    return this.counted(() => this.createPlanTx(ws, plan), Boolean);
  }

  async getPlan(ws: WorkspaceId, planId: string): Promise<DataPlan | undefined> {
    const doc = this.selectPlan.get(ws, planId) as string | undefined;
    if (doc === undefined) return undefined;
    const versions = (this.selectVersions.all(ws, planId) as string[]).map((v) => JSON.parse(v) as DataPlanVersion);
    return { ...(JSON.parse(doc) as DataPlanHeader), data_plan_versions: versions };
  }

  async listPlans(ws: WorkspaceId): Promise<DataPlan[]> {
    const versions = new Map<string, DataPlanVersion[]>();
    for (const row of this.selectWorkspaceVersions.all(ws) as { plan_id: string; doc: string }[]) {
      const list = versions.get(row.plan_id) ?? [];
      list.push(JSON.parse(row.doc) as DataPlanVersion);
      versions.set(row.plan_id, list);
    }
    return (this.selectPlans.all(ws) as string[]).map((doc) => {
      const header = JSON.parse(doc) as DataPlanHeader;
      return { ...header, data_plan_versions: versions.get(header.data_plan_id) ?? [] };
    });
  }

  async updatePlan(ws: WorkspaceId, plan: DataPlanHeader): Promise<boolean> {
    const { data_plan_versions: _ignored, ...header } = plan as DataPlanHeader & { data_plan_versions?: unknown };
    return this.counted(() => this.updatePlanStmt.run(JSON.stringify(header), ws, plan.data_plan_id).changes > 0, Boolean);
  }

  async deletePlan(ws: WorkspaceId, planId: string): Promise<boolean> {
    return this.counted(() => this.deletePlanTx(ws, planId), Boolean);
  }

  async createVersion(ws: WorkspaceId, version: DataPlanVersion): Promise<'created' | 'no-plan' | 'exists'> {
    return this.counted(() => this.createVersionTx(ws, version), (outcome) => outcome === 'created');
  }

  async getVersion(ws: WorkspaceId, planId: string, version: number): Promise<DataPlanVersion | undefined> {
    const doc = this.selectVersion.get(ws, planId, version) as string | undefined;
    return doc === undefined ? undefined : (JSON.parse(doc) as DataPlanVersion);
  }

  async updateVersion(ws: WorkspaceId, version: DataPlanVersion): Promise<boolean> {
    return this.counted(() => this.updateVersionStmt.run(JSON.stringify(version), ws, version.data_plan_id, version.version).changes > 0, Boolean);
  }

  async deleteVersion(ws: WorkspaceId, planId: string, version: number): Promise<boolean> {
    return this.counted(() => this.deleteVersionStmt.run(ws, planId, version).changes > 0, Boolean);
  }

  async revision(): Promise<number> {
    return this.selectRevision.get() as number;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
