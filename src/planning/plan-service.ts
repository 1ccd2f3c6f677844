import type { Actor } from '../model/actor.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import { parseBatch } from '../model/batch-parser.ts';
import { compilePlanVersion } from './plan-compiler.ts';
import {
  PlanExists,
  PlanNotFound,
  PlanVersionExists,
  PlanVersionInProduction,
  PlanVersionLast,
  PlanVersionNotFound,
  ValidationBatchInvalid,
} from './plan-errors.ts';
import { parseNewPlan, parseNewVersion, parsePlanChanges, parseVersionChanges } from './plan-document.ts';
import type { DataPlan, DataPlanVersion, PlanStore } from './plan-store.ts';
import type { ValidationResult } from './data-plan.ts';
import { validateBatch } from './validate.ts';

/** Who made a change: the API client, as the audit fields record it (`client_id:<id>`). */


/** A plan as listed: its versions without their documents (mParticle leaves data points out). */
const summary = (plan: DataPlan): DataPlan => ({
  ...plan,
  data_plan_versions: plan.data_plan_versions.map(({ version_document: _doc, ...v }) => v as DataPlanVersion),
});

/**
 * The Data Planning API's rules, for every caller (the routes, the CLI, the console): plan and
 * version documents are checked with the compiler ingest uses, writes are stamped with who made
 * them and when, a plan keeps at least one version, and a version active in production cannot be
 * deleted. Unknown plans and versions are 404s, existing ids 409s, as mParticle answers.
 */
export class PlanService {
  constructor(
    private readonly store: PlanStore,
    /** Told of every plan written, after the write (the plan registry forgets what it cached). */
    private readonly changed: (ws: WorkspaceId, planId: string) => void = () => undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(ws: WorkspaceId): Promise<DataPlan[]> {
    return (await this.store.listPlans(ws)).map(summary);
  }

  async get(ws: WorkspaceId, planId: string): Promise<DataPlan> {
    const plan = await this.store.getPlan(ws, planId);
    if (!plan) throw new PlanNotFound(ws, planId);
    return plan;
  }

  /** Creates a plan, with the versions it carries, from a request body. */
  async create(ws: WorkspaceId, body: unknown, actor: Actor): Promise<DataPlan> {
    const input = parseNewPlan(body);
    const stamp = this.created(actor);
    const plan: DataPlan = {
      ...input,
      ...stamp,
      data_plan_versions: input.data_plan_versions.map((v) => ({ ...v, data_plan_id: input.data_plan_id, ...stamp })),
    };
    const created = await this.write(ws, plan.data_plan_id, () => this.store.createPlan(ws, plan));
    if (!created) throw new PlanExists(ws, plan.data_plan_id);
    return this.get(ws, plan.data_plan_id);
  }

  /** Changes a plan's name or description. */
  async update(ws: WorkspaceId, planId: string, body: unknown, actor: Actor): Promise<DataPlan> {
    const { data_plan_versions: _versions, ...header } = await this.get(ws, planId);
    const changes = parsePlanChanges(body, planId);
    const updated = await this.write(ws, planId, () => this.store.updatePlan(ws, { ...header, ...changes, ...this.modified(actor) }));
    if (!updated) throw new PlanNotFound(ws, planId);
    return this.get(ws, planId);
  }

  async delete(ws: WorkspaceId, planId: string): Promise<void> {
    if (!(await this.write(ws, planId, () => this.store.deletePlan(ws, planId)))) throw new PlanNotFound(ws, planId);
  }

  async getVersion(ws: WorkspaceId, planId: string, version: number): Promise<DataPlanVersion> {
    const found = await this.store.getVersion(ws, planId, version);
    if (!found) throw new PlanVersionNotFound(ws, planId, version);
    return found;
  }

  async createVersion(ws: WorkspaceId, planId: string, body: unknown, actor: Actor): Promise<DataPlanVersion> {
    const version: DataPlanVersion = { ...parseNewVersion(body), data_plan_id: planId, ...this.created(actor) };
    const outcome = await this.write(ws, planId, () => this.store.createVersion(ws, version));
    if (outcome === 'no-plan') throw new PlanNotFound(ws, planId);
    if (outcome === 'exists') {
      throw new PlanVersionExists(planId, version.version);
    }
    return version;
  }

  /** Changes a version's description, environment or document. */
  async updateVersion(ws: WorkspaceId, planId: string, version: number, body: unknown, actor: Actor): Promise<DataPlanVersion> {
    const found = await this.getVersion(ws, planId, version);
    const updated: DataPlanVersion = { ...found, ...parseVersionChanges(body, version), ...this.modified(actor) };
    if (!(await this.write(ws, planId, () => this.store.updateVersion(ws, updated)))) throw new PlanVersionNotFound(ws, planId, version);
    return updated;
  }

  /** Deletes a version, unless it is the plan's last one or active in production (mParticle's two refusals). */
  async deleteVersion(ws: WorkspaceId, planId: string, version: number): Promise<void> {
    const plan = await this.store.getPlan(ws, planId);
    const found = plan?.data_plan_versions.find((v) => v.version === version);
    if (!plan || !found) throw new PlanVersionNotFound(ws, planId, version);
    if (plan.data_plan_versions.length === 1) throw new PlanVersionLast();
    if (found.activated_environment === 'production') throw new PlanVersionInProduction();
    if (!(await this.write(ws, planId, () => this.store.deleteVersion(ws, planId, version)))) throw new PlanVersionNotFound(ws, planId, version);
  }

  /** mParticle's `/plans/validate`: the results of validating a batch against a version document, neither stored. */
  validate(body: unknown): ValidationResult[] {
    const b = (typeof body === 'object' && body !== null ? body : {}) as { document?: unknown; batch?: unknown };
    const plan = compilePlanVersion(b.document);
    const parsed = parseBatch(b.batch, 'batch');
    if (!parsed.ok) throw new ValidationBatchInvalid(parsed.problems);
    return validateBatch(plan, parsed.batch).results;
  }

  private created(actor: Actor) {
    return { created_on: this.now().toISOString(), created_by: actor.by };
  }

  private modified(actor: Actor) {
    return { last_modified_on: this.now().toISOString(), last_modified_by: actor.by };
  }

  /** Runs a write and then says the plan changed, whether or not the write succeeded. */
  private async write<T>(ws: WorkspaceId, planId: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.changed(ws, planId);
    }
  }
}
