import type { DataPlanMatchType } from './data-plan.ts';
import type { WorkspaceId } from '../kernel/ids.ts';

/** Where a plan version is enforced: mParticle's `activated_environment`. */
export const ACTIVATED_ENVIRONMENTS = ['none', 'development', 'production'] as const;
export type ActivatedEnvironment = (typeof ACTIVATED_ENVIRONMENTS)[number];

/** What a data point's `match.type` may be (mParticle's `MatchType`). */
export type MatchType = DataPlanMatchType;

/** One planned data point: the criteria that find it in a batch and the JSON Schema that checks it. */
export interface DataPoint {
  description?: string;
  match: { type: MatchType; criteria?: Record<string, unknown> };
  validator?: { type: 'json_schema'; definition: Record<string, unknown> };
  [extra: string]: unknown;
}

/** The plan proper (mParticle's `version_document`); kept as sent, beyond the checks on data points. */
export interface VersionDocument {
  data_points: DataPoint[];
  [extra: string]: unknown;
}

/** Who changed a plan or version, and when (ISO 8601); `last_modified_*` only once it changed. */
export interface Audit {
  created_on: string;
  created_by: string;
  last_modified_on?: string;
  last_modified_by?: string;
}

/** A plan version, in mParticle's field names. */
export interface DataPlanVersion extends Audit {
  data_plan_id: string;
  version: number;
  version_description?: string;
  activated_environment: ActivatedEnvironment;
  version_document: VersionDocument;
}

/** A plan without its versions, as stored. */
export interface DataPlanHeader extends Audit {
  data_plan_id: string;
  data_plan_name: string;
  data_plan_description?: string;
}

/** A plan with its versions, ordered by version number. */
export interface DataPlan extends DataPlanHeader {
  data_plan_versions: DataPlanVersion[];
}

/**
 * Data plans and their versions, per workspace; plans are keyed by `data_plan_id`, versions by
 * plan and version number. The store keeps documents as given: checks, timestamps and the rules
 * of the Data Planning API belong to its callers.
 */
export interface PlanStore {
  /** Saves a new plan with its versions; `false` (and nothing saved) if the id is taken. */
  createPlan(ws: WorkspaceId, plan: DataPlan): Promise<boolean>;
  getPlan(ws: WorkspaceId, planId: string): Promise<DataPlan | undefined>;
  /** Every plan of the workspace with its versions, by id. */
  listPlans(ws: WorkspaceId): Promise<DataPlan[]>;
  /** Replaces a plan's own fields (not its versions); `false` if there is no such plan. */
  updatePlan(ws: WorkspaceId, plan: DataPlanHeader): Promise<boolean>;
  /** Deletes a plan and its versions; `false` if there was no such plan. */
  deletePlan(ws: WorkspaceId, planId: string): Promise<boolean>;
  /** Adds a version to an existing plan: `no-plan` or `exists` when it cannot. */
  createVersion(ws: WorkspaceId, version: DataPlanVersion): Promise<'created' | 'no-plan' | 'exists'>;
  getVersion(ws: WorkspaceId, planId: string, version: number): Promise<DataPlanVersion | undefined>;
  /** Replaces an existing version; `false` if there is no such version. */
  updateVersion(ws: WorkspaceId, version: DataPlanVersion): Promise<boolean>;
  /** Deletes a version; `false` if there was no such version. */
  deleteVersion(ws: WorkspaceId, planId: string, version: number): Promise<boolean>;
  /**
   * A number that grows with every write that changes a plan or a version, in any workspace,
   * through any connection: what a cache of plans (`PlanRegistry.refresh`) checks to stay true.
   */
  revision(): Promise<number>;
  close(): Promise<void>;
}
