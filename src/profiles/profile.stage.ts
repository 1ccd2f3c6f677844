import type { Counter } from 'prom-client';
import type { ConsentPolicy } from '../consent/consent-policy.ts';
import { withConsent } from '../consent/consent-view.ts';
import { notificationsOf } from '../consent/system-notifications.ts';
import type { ProfileService } from './profile-service.ts';
import { ok, type Stage } from '../model/stage.ts';

export interface ProfileStageDeps {
  profiles: ProfileService;
  /** Counts user attributes not stored because they break a documented limit. */
  refusedAttributes?: Pick<Counter, 'inc'>;
  /** The workspaces' consent rules (defined GDPR purposes); without it every purpose is applied. */
  consent?: Pick<ConsentPolicy, 'refresh' | 'rulesFor' | 'refused'>;
}

const NO_NOTIFICATIONS: readonly never[] = [];

/**
 * Keeps each user's profile: user attributes (set, removed, lists), consent state, opt-out,
 * device info, install attribution, first and last seen. Profile changes are re-applied in log
 * order after a crash and land on the same state, so no recovery step is needed. Each record
 * leaves with the person's consent state and the notifications of its consent changes beside it
 * (`consent/consent-view.ts`), for the delivery stream.
 */
export function profileStage(deps: ProfileStageDeps): Stage {
  return {
    name: 'profile',
    // One read of the consent store's revision per chunk: a purpose added is applied from the next chunk on.
    prepare: async () => void (await deps.consent?.refresh()),
    async run(record) {
      const { refused, consent } = await deps.profiles.apply(record, deps.consent?.rulesFor(record.workspaceId));
      if (refused.length > 0) deps.refusedAttributes?.inc(refused.length);
      if (consent.refused.length > 0) deps.consent?.refused(record.workspaceId, consent.refused);
      const notifications = consent.changes.length === 0 ? NO_NOTIFICATIONS : notificationsOf(consent.changes);
      return ok(withConsent(record, { state: consent.state, notifications }));
    },
    flush: () => deps.profiles.flush(),
    reset: () => deps.profiles.reset(),
  };
}
