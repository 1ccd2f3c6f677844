import type { IdentityType } from './identity-types.ts';

import type { StrategyName } from '../model/identity-types.ts';

export { STRATEGIES, type StrategyName } from '../model/identity-types.ts';

/** A workspace's IDSync configuration (mParticle's identity strategy settings). */
export interface IdentityStrategy {
  name: StrategyName;
  /** Identity types whose values may belong to one profile only. */
  uniqueIds: ReadonlySet<IdentityType>;
  /** Identity types that identify a known user; a profile holding one is returned only to a request that matches one. */
  loginIds: ReadonlySet<IdentityType>;
  /** Lookup order, highest priority first. */
  priority: readonly IdentityType[];
}

/** mParticle's default configuration: profile conversion, customer id unique and the login id. */
export const DEFAULT_STRATEGY: IdentityStrategy = {
  name: 'profile_conversion',
  uniqueIds: new Set(['customer_id']),
  loginIds: new Set(['customer_id']),
  priority: [
    'customer_id',
    'mobile_number',
    'phone_number_2',
    'phone_number_3',
    'email',
    'other',
    'other_id_2',
    'other_id_3',
    'other_id_4',
    'other_id_5',
    'other_id_6',
    'other_id_7',
    'other_id_8',
    'other_id_9',
    'other_id_10',
    'facebook',
    'facebook_custom_audience_id',
    'google',
    'twitter',
    'microsoft',
    'yahoo',
    'alias',
    'ios_idfa',
    'ios_idfv',
    'android_aaid',
    'android_uuid',
    'push_token',
    'fire_aid',
    'roku_aid',
    'roku_publisher_id',
    'microsoft_publisher_id',
    'microsoft_aid',
    'amp_id',
    'device_application_stamp',
  ],
};

const BOTH_LOGIN_IDS: ReadonlySet<IdentityType> = new Set(['customer_id', 'email']);

/** The profile link strategy as its guide configures it: customer id and email unique and login ids. */
export const PROFILE_LINK_DEFAULT: IdentityStrategy = {
  name: 'profile_link',
  uniqueIds: BOTH_LOGIN_IDS,
  loginIds: BOTH_LOGIN_IDS,
  priority: DEFAULT_STRATEGY.priority,
};

/** The profile isolation strategy as its guide configures it: customer id and email unique and login ids. */
export const PROFILE_ISOLATION_DEFAULT: IdentityStrategy = { ...PROFILE_LINK_DEFAULT, name: 'profile_isolation' };

/** The best match strategy: no unique ids, no login ids (it ignores any configured; see strategy-rules.ts). */
export const BEST_MATCH_DEFAULT: IdentityStrategy = {
  name: 'best_match',
  uniqueIds: new Set(),
  loginIds: new Set(),
  priority: DEFAULT_STRATEGY.priority,
};

/** Each strategy's configuration as its guide documents it. */
export const STRATEGY_PRESETS: Readonly<Record<StrategyName, IdentityStrategy>> = {
  profile_conversion: DEFAULT_STRATEGY,
  profile_link: PROFILE_LINK_DEFAULT,
  profile_isolation: PROFILE_ISOLATION_DEFAULT,
  best_match: BEST_MATCH_DEFAULT,
};
