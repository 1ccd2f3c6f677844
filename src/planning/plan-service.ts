import { BadRequest, Conflict, NotFound } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import { parseBatch } from '../model/batch-parser.ts';
import { compilePlanVersion } from './plan-compiler.ts';
import { parseNewPlan, parseNewVersion, parsePlanChanges, parseVersionChanges } from './plan-document.ts';
import type { DataPlan, DataPlanVersion, PlanStore } from './plan-store.ts';
import type { ValidationResult } from './data-plan.ts';
import { validateBatch } from './validate.ts';

/** Who made a change: the API client, as the audit fields record it (`client_id:<id>`). */
export interface Actor {
  clientId: string;
}

const planNotFound = (ws: WorkspaceId, planId: string) => new NotFound(`The specified plan ID ${planId} in workspace ${ws} was not found.`);
const versionNotFound = (ws: WorkspaceId, planId: string, version: number) =>
  new NotFound(`The specified version ${version} in plan ID ${planId} was not found in workspace ${ws}.`);
const badRequest = (message: string) => new BadRequest([{ code: 'BAD_REQUEST', message }]);

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
    if (!plan) throw planNotFound(ws, planId);
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
    if (!created) throw new Conflict(`A data plan with ID ${plan.data_plan_id} already exists in workspace ${ws}; choose another data_plan_id.`);
    return this.get(ws, plan.data_plan_id);
  }

  /** Changes a plan's name or description. */
  async update(ws: WorkspaceId, planId: string, body: unknown, actor: Actor): Promise<DataPlan> {
    const { data_plan_versions: _versions, ...header } = await this.get(ws, planId);
    const changes = parsePlanChanges(body, planId);
    const updated = await this.write(ws, planId, () => this.store.updatePlan(ws, { ...header, ...changes, ...this.modified(actor) }));
    if (!updated) throw planNotFound(ws, planId);
    return this.get(ws, planId);
  }

  async delete(ws: WorkspaceId, planId: string): Promise<void> {
    if (!(await this.write(ws, planId, () => this.store.deletePlan(ws, planId)))) throw planNotFound(ws, planId);
  }

  async getVersion(ws: WorkspaceId, planId: string, version: number): Promise<DataPlanVersion> {
    const found = await this.store.getVersion(ws, planId, version);
    if (!found) throw versionNotFound(ws, planId, version);
    return found;
  }

  async createVersion(ws: WorkspaceId, planId: string, body: unknown, actor: Actor): Promise<DataPlanVersion> {
    const version: DataPlanVersion = { ...parseNewVersion(body), data_plan_id: planId, ...this.created(actor) };
    const outcome = await this.write(ws, planId, () => this.store.createVersion(ws, version));
    if (outcome === 'no-plan') throw planNotFound(ws, planId);
    if (outcome === 'exists') {
      throw new Conflict(`Version ${version.version} of plan ${planId} already exists; change it with PATCH or choose another version.`);
    }
    return version;
  }

  /** Changes a version's description, environment or document. */
  async updateVersion(ws: WorkspaceId, planId: string, version: number, body: unknown, actor: Actor): Promise<DataPlanVersion> {
    const found = await this.getVersion(ws, planId, version);
    const updated: DataPlanVersion = { ...found, ...parseVersionChanges(body, version), ...this.modified(actor) };
    if (!(await this.write(ws, planId, () => this.store.updateVersion(ws, updated)))) throw versionNotFound(ws, planId, version);
    return updated;
  }

  /** Deletes a version, unless it is the plan's last one or active in production (mParticle's two refusals). */
  async deleteVersion(ws: WorkspaceId, planId: string, version: number): Promise<void> {
    const plan = await this.store.getPlan(ws, planId);
    const found = plan?.data_plan_versions.find((v) => v.version === version);
    if (!plan || !found) throw versionNotFound(ws, planId, version);
    if (plan.data_plan_versions.length === 1) throw badRequest('Unable to delete plan version - plans must contain at least one plan version.');
    if (found.activated_environment === 'production') {
      throw badRequest('Unable to delete plan version - this version is active in prod and cannot be deleted.');
    }
    if (!(await this.write(ws, planId, () => this.store.deleteVersion(ws, planId, version)))) throw versionNotFound(ws, planId, version);
  }

  /** mParticle's `/plans/validate`: the results of validating a batch against a version document, neither stored. */
  validate(body: unknown): ValidationResult[] {
    const b = (typeof body === 'object' && body !== null ? body : {}) as { document?: unknown; batch?: unknown };
    const plan = compilePlanVersion(b.document);
    const parsed = parseBatch(b.batch, 'batch');
    if (!parsed.ok) throw new BadRequest(parsed.problems);
    return validateBatch(plan, parsed.batch).results;
  }

  private created(actor: Actor) {
    return { created_on: this.now().toISOString(), created_by: `client_id:${actor.clientId}` };
  }

  private modified(actor: Actor) {
    return { last_modified_on: this.now().toISOString(), last_modified_by: `client_id:${actor.clientId}` };
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
