/**
 * Which of a user's ids a partner knows them by (Amplitude's "User Identification", Braze's
 * "External Identity Type"): one of the identity types the partners' pages offer, or the MPID.
 */
export const IDENTITY_CHOICES = [
  'customer_id',
  'email',
  'mpid',
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
] as const;
export type IdentityChoice = (typeof IDENTITY_CHOICES)[number];

/** The user's id of the chosen kind: the MPID, or the identity of that type; undefined when the user has none. */
export function chosenIdentity(
  identities: Readonly<Partial<Record<string, string | null>>>,
  mpid: string,
  choice: IdentityChoice,
): string | undefined {
  if (choice === 'mpid') return mpid;
  const value = identities[choice];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
