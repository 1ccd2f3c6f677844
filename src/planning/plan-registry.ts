import type { WorkspaceId } from '../kernel/ids.ts';
import type { Environment } from '../model/event-types.ts';
import type { DataPlanValidationActions } from './data-plan.ts';
import { type CompiledPlan, compilePlanVersion, validationActions } from './plan-compiler.ts';
import type { ActivatedEnvironment, DataPlan, DataPlanVersion, PlanStore } from './plan-store.ts';

/** A plan version to enforce. */
export interface EnforcedPlan {
  readonly planId: string;
  readonly version: number;
  /** The version as stored (what the Web SDK's config carries). */
  readonly stored: DataPlanVersion;
  /** What its `settings.validation_actions` block, read without compiling anything. */
  readonly actions: Readonly<Required<DataPlanValidationActions>>;
  /**
   * Every data point's schema compiled, on first use (a version is compiled only where it is
   * enforced or read); undefined when the version does not compile, which is reported once.
   */
  readonly compiled: CompiledPlan | undefined;
}

/** A plan version whose schemas compiled. */
export type CompiledVersion = EnforcedPlan & { readonly compiled: CompiledPlan };

const isCompiled = (plan: EnforcedPlan): plan is CompiledVersion => plan.compiled !== undefined;

/** What the registry remembers of one version: the version as stored and, once asked for, the version to enforce. */
interface VersionEntry {
  readonly stored: DataPlanVersion;
  enforced?: EnforcedPlan;
}

/** What the registry remembers of one plan: its versions by number. */
type Entry = ReadonlyMap<number, VersionEntry>;

/**
 * Whether a version activated for `activated` applies to a batch from `environment`. A version
 * promoted to production is live in both environments (mParticle promotes dev → prod); a version
 * active in development applies to development data only.
 */
export function activeIn(activated: ActivatedEnvironment, environment: Environment): boolean {
  if (activated === 'production') return true;
  return activated === 'development' && environment !== 'production';
}

/**
 * The plans ingest and the processor enforce, compiled once per version and cached in memory:
 * a cache of the plan store, which owns them. A writer on this thread tells it of its writes
 * ({@link changed}, as the Data Planning API's service does); a reader elsewhere (the processor
 * thread, another process) calls {@link refresh} before a unit of work, which forgets everything
 * when the store's revision moved. A stored document that no longer compiles is reported once and
 * never enforced: a bad plan must not stop ingestion.
 */
export class PlanRegistry {
  private readonly plans = new Map<string, Entry | null>();
  /** The store's revision the cache holds; undefined until the first refresh. */
  private revision: number | undefined;

  constructor(
    private readonly store: PlanStore,
    private readonly onBadPlan: (planId: string, version: number, error: unknown) => void = () => undefined,
  ) {}

  /** Forgets what is cached when the store's plans changed since the last refresh (one read of the store). */
  async refresh(): Promise<void> {
    const revision = await this.store.revision();
    if (revision !== this.revision) this.plans.clear();
    this.revision = revision;
  }

  /** Forget what is cached about a plan (it was created, updated or deleted). */
  changed(ws: WorkspaceId, planId: string): void {
    this.plans.delete(`${ws}:${planId}`);
  }

  /** Whether the plan exists, and the version too when one is given. */
  async exists(ws: WorkspaceId, planId: string, version: number | undefined): Promise<boolean> {
    const entry = await this.entry(ws, planId);
    return entry !== null && (version === undefined || entry.has(version));
  }

  /** The plan's version numbers, ascending; undefined when there is no such plan. */
  async versions(ws: WorkspaceId, planId: string): Promise<number[] | undefined> {
    const entry = await this.entry(ws, planId);
    return entry ? [...entry.keys()].sort((a, b) => a - b) : undefined;
  }

  /**
   * The version a batch is validated against: the pinned `version`, else the latest version
   * active in the batch's environment (as mParticle chooses when the version is omitted).
   * Undefined when there is none. Nothing is compiled yet: see {@link EnforcedPlan.compiled}.
   */
  async choose(ws: WorkspaceId, planId: string, version: number | undefined, environment: Environment): Promise<EnforcedPlan | undefined> {
    const entry = await this.entry(ws, planId);
    if (!entry) return undefined;
    const chosen = version ?? latestActive(entry, (activated) => activeIn(activated, environment));
    const found = chosen === undefined ? undefined : entry.get(chosen);
    if (chosen === undefined || !found) return undefined;
    return this.enforced(found, planId, chosen);
  }

  /** The version {@link choose} chooses, compiled; undefined when there is none, or it does not compile. */
  async resolve(ws: WorkspaceId, planId: string, version: number | undefined, environment: Environment): Promise<CompiledVersion | undefined> {
    const plan = await this.choose(ws, planId, version, environment);
    return plan && isCompiled(plan) ? plan : undefined;
  }

  /** Each plan's latest version active in any environment, compiled: what the workspace enforces today. */
  async active(ws: WorkspaceId): Promise<CompiledVersion[]> {
    const found: CompiledVersion[] = [];
    for (const plan of await this.store.listPlans(ws)) {
      const entry = this.remember(ws, plan);
      const version = latestActive(entry, (activated) => activated !== 'none');
      const chosen = version === undefined ? undefined : entry.get(version);
      const enforced = chosen && this.enforced(chosen, plan.data_plan_id, version!);
      if (enforced && isCompiled(enforced)) found.push(enforced);
    }
    return found;
  }

  private async entry(ws: WorkspaceId, planId: string): Promise<Entry | null> {
    const key = `${ws}:${planId}`;
    const cached = this.plans.get(key);
    if (cached !== undefined) return cached;
    const plan = await this.store.getPlan(ws, planId);
    if (!plan) {
      this.plans.set(key, null);
      return null;
    }
    return this.remember(ws, plan);
  }

  private remember(ws: WorkspaceId, plan: DataPlan): Entry {
    const key = `${ws}:${plan.data_plan_id}`;
    const cached = this.plans.get(key);
    if (cached) return cached;
    const entry: Entry = new Map(plan.data_plan_versions.map((v) => [v.version, { stored: v }]));
    this.plans.set(key, entry);
    return entry;
  }

  /** The version to enforce (the same object for every batch), compiling on first use of `compiled`. */
  private enforced(entry: VersionEntry, planId: string, version: number): EnforcedPlan {
    if (entry.enforced) return entry.enforced;
    const { stored } = entry;
    const onBadPlan = this.onBadPlan;
    let compiled: CompiledPlan | null | undefined;
    entry.enforced = {
      planId,
      version,
      stored,
      actions: validationActions(stored.version_document),
      get compiled() {
        if (compiled === undefined) {
          try {
            compiled = compilePlanVersion(stored.version_document);
          } catch (error) {
            onBadPlan(planId, version, error);
            compiled = null;
          }
        }
        return compiled ?? undefined;
      },
    };
    return entry.enforced;
  }
}

function latestActive(entry: Entry, applies: (activated: ActivatedEnvironment) => boolean): number | undefined {
  let latest: number | undefined;
  for (const [version, { stored }] of entry) {
    if (applies(stored.activated_environment) && (latest === undefined || version > latest)) latest = version;
  }
  return latest;
}
