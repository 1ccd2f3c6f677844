import type { WorkspaceId } from '../kernel/ids.ts';
import type { Environment } from '../model/event-types.ts';
import type { ValidationActionType } from './data-plan.ts';
import type { PlanRegistry } from './plan-registry.ts';
import type { DataPlanVersion } from './plan-store.ts';

/**
 * What the Web SDK reads from its config's `dataPlanResult` to block data before it reaches
 * client-side kits (its `KitBlocker`): the plan version and which unplanned data to block.
 */
export type SdkDataPlanResult =
  | { dtpn: { vers: DataPlanVersion; blok: { ev: boolean; ea: boolean; ua: boolean; id: boolean } } }
  | { error_message: string };

const blocks = (action: ValidationActionType) => action !== 'allow' && action !== 'unknown';

/**
 * The data plan an SDK asked for (`plan_id`, optional `plan_version`), as its config carries
 * it: the pinned version, or the latest one active in the SDK's environment.
 */
export async function sdkDataPlanResult(
  registry: PlanRegistry,
  ws: WorkspaceId,
  planId: string,
  version: number | undefined,
  environment: Environment,
): Promise<SdkDataPlanResult> {
  const enforced = await registry.resolve(ws, planId, version, environment);
  if (!enforced) {
    const which = version === undefined ? `has no version active in ${environment}` : `version ${version} does not exist`;
    return { error_message: `Data plan "${planId}" ${which} in this workspace (or does not compile); kits are not blocked.` };
  }
  const a = enforced.actions;
  return {
    dtpn: {
      vers: enforced.stored,
      blok: { ev: blocks(a.event), ea: blocks(a.event_attribute), ua: blocks(a.user_attribute), id: blocks(a.user_identity) },
    },
  };
}
