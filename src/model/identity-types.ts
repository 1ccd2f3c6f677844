/** The user identity types a batch's `user_identities` may carry (events OpenAPI file). */
export const USER_IDENTITY_TYPES = [
  'other',
  'customer_id',
  'facebook',
  'twitter',
  'google',
  'microsoft',
  'yahoo',
  'email',
  'alias',
  'facebook_custom_audience_id',
  'other_id_2',
  'other_id_3',
  'other_id_4',
  'other_id_5',
  'other_id_6',
  'other_id_7',
  'other_id_8',
  'other_id_9',
  'other_id_10',
  'mobile_number',
  'phone_number_2',
  'phone_number_3',
] as const;
export type UserIdentityType = (typeof USER_IDENTITY_TYPES)[number];

/** Spellings real clients send for a documented type: the Node SDK writes `customerid`. */
export const IDENTITY_ALIASES: Readonly<Record<string, UserIdentityType>> = {
  customerid: 'customer_id',
};

export function normalizeIdentityType(key: string): UserIdentityType | undefined {
  const alias = IDENTITY_ALIASES[key];
  if (alias) return alias;
  return (USER_IDENTITY_TYPES as readonly string[]).includes(key) ? (key as UserIdentityType) : undefined;
}

/** mParticle's IDSync identity strategies, by the names a workspace's settings use. */
export const STRATEGIES = ['profile_conversion', 'profile_link', 'profile_isolation', 'best_match'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
