import type { Identities, IdentityType } from './identity-types.ts';
import type { IdentityStrategy, StrategyName } from './strategy.ts';

/**
 * What happens when a request carries a login id no profile has (the guides' "On New Known User"):
 * - `add_to_anonymous_profile`: the anonymous profile the request matched by another identity, or
 *   else a login's anonymous `previous_mpid`, takes the login id and becomes known (same MPID);
 * - `create_profile`: a new profile; anonymous profiles are never returned to such a request;
 * - `not_applicable`: the strategy has no login ids.
 */
export type OnNewKnownUser = 'add_to_anonymous_profile' | 'create_profile' | 'not_applicable';

/**
 * What a logout does (the guides' "On Logout"):
 * - `resolve_like_identify`: the request's device ids find an anonymous profile, or a new one is
 *   made (the logged-out known profile is protected by its login ids, so it is never returned);
 * - `create_anonymous_profile`: always a new profile, without looking anything up.
 */
export type OnLogout = 'resolve_like_identify' | 'create_anonymous_profile';

/** A strategy's decisions, beyond matching by identity priority. */
export interface StrategyRules {
  name: StrategyName;
  /** Login ids in force: they protect known profiles and make a request logged in. */
  loginIds: ReadonlySet<IdentityType>;
  /** Unique ids in force: a value moves to the profile that last received it. */
  uniqueIds: ReadonlySet<IdentityType>;
  onNewKnownUser: OnNewKnownUser;
  onLogout: OnLogout;
  /** A new profile made for a new known user names the login's anonymous `previous_mpid` as its alias source. */
  namesAliasSource: boolean;
  /** A different value of an identity a profile has is added as one more lookup instead of replacing it (except by modify). */
  keepsEveryValue: boolean;
}

const NONE: ReadonlySet<IdentityType> = new Set();

function profileConversion(s: IdentityStrategy): StrategyRules {
  return { name: s.name, loginIds: s.loginIds, uniqueIds: s.uniqueIds, onNewKnownUser: 'add_to_anonymous_profile', onLogout: 'resolve_like_identify', namesAliasSource: false, keepsEveryValue: false };
}

function profileLink(s: IdentityStrategy): StrategyRules {
  return { name: s.name, loginIds: s.loginIds, uniqueIds: s.uniqueIds, onNewKnownUser: 'create_profile', onLogout: 'create_anonymous_profile', namesAliasSource: true, keepsEveryValue: false };
}

function profileIsolation(s: IdentityStrategy): StrategyRules {
  // Isolation never links anonymous data (and aliasing is not offered for it): no alias source.
  return { name: s.name, loginIds: s.loginIds, uniqueIds: s.uniqueIds, onNewKnownUser: 'create_profile', onLogout: 'resolve_like_identify', namesAliasSource: false, keepsEveryValue: false };
}

function bestMatch(s: IdentityStrategy): StrategyRules {
  // The guide: no unique ids, no login ids, no login/logout. Configured ones are ignored, and a
  // login or logout request is answered as an identify (guide silent on receiving one).
  return { name: s.name, loginIds: NONE, uniqueIds: NONE, onNewKnownUser: 'not_applicable', onLogout: 'resolve_like_identify', namesAliasSource: false, keepsEveryValue: true };
}

export function rulesOf(strategy: IdentityStrategy): StrategyRules {
  const name = strategy.name;
  switch (name) {
    case 'profile_conversion':
      return profileConversion(strategy);
    case 'profile_link':
      return profileLink(strategy);
    case 'profile_isolation':
      return profileIsolation(strategy);
    case 'best_match':
      return bestMatch(strategy);
    default: {
      const unknown: never = name;
      throw new Error(`Unknown identity strategy: ${String(unknown)}`);
    }
  }
}

/** The identities hold a login id in force (a request carries one; a record holding one is known). */
export function hasLoginId(ids: Identities, rules: StrategyRules): boolean {
  for (const t of rules.loginIds) if (ids[t] !== undefined) return true;
  return false;
}
