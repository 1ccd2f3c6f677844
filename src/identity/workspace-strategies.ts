import type { WorkspaceId } from '../kernel/ids.ts';
import { strategySettingOf } from '../platform/bootstrap.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import { DEFAULT_STRATEGY, type IdentityStrategy, STRATEGY_PRESETS, type StrategyName } from './strategy.ts';

/** Each workspace's IDSync strategy, from its platform setting (read once per workspace). */
export function identityStrategies(platform: PlatformStore): (ws: WorkspaceId) => IdentityStrategy {
  const cache = new Map<WorkspaceId, IdentityStrategy>();
  return (ws) => {
    let strategy = cache.get(ws);
    if (!strategy) {
      const name = platform.setting(strategySettingOf(ws)) as StrategyName | undefined;
      strategy = (name && STRATEGY_PRESETS[name]) || DEFAULT_STRATEGY;
      cache.set(ws, strategy);
    }
    return strategy;
  };
}
