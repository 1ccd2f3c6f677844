/**
 * One change of one user's membership of one audience, as an audience output delivers it: what
 * mParticle's audience integrations receive ("user added", "user removed"), with the identities
 * the partner may match the user by.
 *
 * @example
 * const change: AudienceChange = {
 *   audienceId: 11034, audienceName: 'Ibiza Dreamers', mpid: '8205378195036416813',
 *   change: 'added', atMs: 1767261600000, identities: { customer_id: 'cust-1001', email: 'ada@example.com' },
 * };
 */
export interface AudienceChange {
  readonly audienceId: number;
  /** The name partners see: the audience's external name, else its name. */
  readonly audienceName: string;
  readonly mpid: string;
  readonly change: 'added' | 'removed';
  /** When the membership changed (ms since the epoch). */
  readonly atMs: number;
  /** The user's identities, by identity type (`customer_id`, `email`, `other_id_2`, ...). */
  readonly identities: Readonly<Record<string, string>>;
}
