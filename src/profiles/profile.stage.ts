import type { Counter } from 'prom-client';
import type { ProfileService } from './profile-service.ts';
import { ok, type Stage } from '../model/stage.ts';

export interface ProfileStageDeps {
  profiles: ProfileService;
  /** Counts user attributes not stored because they break a documented limit. */
  refusedAttributes?: Pick<Counter, 'inc'>;
}

/**
 * Keeps each user's profile: user attributes (set, removed, lists), consent state, opt-out,
 * device info, install attribution, first and last seen. Profile changes are re-applied in log
 * order after a crash and land on the same state, so no recovery step is needed.
 */
export function profileStage(deps: ProfileStageDeps): Stage {
  return {
    name: 'profile',
    async run(record) {
      const refused = await deps.profiles.apply(record);
      if (refused.length > 0) deps.refusedAttributes?.inc(refused.length);
      return ok(record);
    },
    flush: () => deps.profiles.flush(),
    reset: () => deps.profiles.reset(),
  };
}
