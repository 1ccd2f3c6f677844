import type { WorkspaceId } from '../kernel/ids.ts';
import type { Actor } from '../model/actor.ts';
import { PlanExists } from '../planning/plan-errors.ts';
import type { PlanService } from '../planning/plan-service.ts';
import { contractPlan, type FeedContract } from './feed-contract.ts';

/** Who the Data Planning API says created a contract's plan. */
const QUANTA: Actor = { by: 'quanta' };

/**
 * Puts a feed contract in a workspace as the data plan `contract.planId` (version 1, active in
 * both environments), through the Data Planning API's rules, unless the workspace has a plan of
 * that id already: an edited or deactivated contract plan is the workspace's choice and stays as
 * it is (a version with `activated_environment: none` stops the checks). Whether it created it.
 *
 * @example
 *   await adoptContract(plans, ws, CLEVERTAP_CONTRACT) // true once, then false
 */
export async function adoptContract(plans: PlanService, ws: WorkspaceId, contract: FeedContract): Promise<boolean> {
  try {
    await plans.create(ws, contractPlan(contract), QUANTA);
    return true;
  } catch (error) {
    if (error instanceof PlanExists) return false;
    throw error;
  }
}
