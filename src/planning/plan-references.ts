import { type ErrorDetail, problem } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { Batch } from '../model/batch.ts';
import { BatchPlanUnknown } from './plan-errors.ts';

/** Whether the data plan (and version, if given) a batch names exists in the workspace. */
export type PlanLookup = (workspaceId: WorkspaceId, planId: string, version: number | undefined) => Promise<boolean>;

/**
 * Ingest's check of `context.data_plan`: a batch naming a plan, or a plan version, that does not
 * exist in the workspace is refused at the edge (mParticle answers 400), so the processor never
 * meets one.
 */
export function planReferenceCheck(exists: PlanLookup) {
  return async (ws: WorkspaceId, batches: readonly Batch[], bulk: boolean): Promise<void> => {
    const problems: ErrorDetail[] = [];
    // A request's batches mostly name one plan: look each plan and version up once.
    const known = new Map<string, boolean>();
    for (const [i, batch] of batches.entries()) {
      const plan = batch.context?.data_plan;
      if (!plan) continue;
      const version = plan.plan_version ?? undefined;
      const key = `${plan.plan_id}\u0000${version}`;
      let found = known.get(key);
      if (found === undefined) known.set(key, (found = await exists(ws, plan.plan_id, version)));
      if (!found) {
        const at = bulk ? `[${i}].` : '';
        problems.push(
          problem(
            `${at}context.data_plan names plan "${plan.plan_id}"${version === undefined ? '' : ` version ${version}`}, which does not exist in this workspace; create it with the Data Planning API or fix the batch.`,
          ),
        );
      }
    }
    if (problems.length > 0) throw new BatchPlanUnknown(problems);
  };
}
