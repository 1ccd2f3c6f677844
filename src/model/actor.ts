/** Who made a change, as `created_by` / `last_modified_by` record it. */
export interface Actor {
  /** `client_id:<id>` for an API client (as mParticle writes it), the email for a user. */
  readonly by: string;
}
