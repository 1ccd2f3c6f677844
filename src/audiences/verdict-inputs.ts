import type { WorkspaceAudiences } from './audience-registry.ts';
import type { Audience, AudienceUser } from './audience-store.ts';
import { audiencesNamed, leavesOf } from './definition.ts';
import type { UserFacts } from './evaluate.ts';
import { valueNamed } from './event-tracks.ts';

/**
 * What an audience's verdict reads, so the stage decides again only the audiences a record can
 * have moved: an audience's own event tracks, the profile facts (one fingerprint per workspace
 * of everything its audiences read), the memberships of the audiences it names. Each is made once
 * per audience (or workspace) object: the registry makes new ones when definitions change.
 */

/** An audience revision's key (`<workspace>:<id>:<revision>`). */
export const revisionKey = (a: Pick<Audience, 'workspaceId' | 'id' | 'revision'>) => `${a.workspaceId}:${a.id}:${a.revision}`;

const revisionKeys = new WeakMap<Audience, string>();
/** {@link revisionKey}, made once per audience object. */
export function revisionKeyOf(a: Audience): string {
  let key = revisionKeys.get(a);
  if (key === undefined) revisionKeys.set(a, (key = revisionKey(a)));
  return key;
}
/** What an audience's verdict reads besides its event tracks. */
interface Reads {
  /** Profile facts: attributes, calculated values, identities, consent, device, first seen. */
  readonly facts: boolean;
  /** Other audiences' memberships. */
  readonly audiences: readonly number[];
}
const readsOf = new WeakMap<Audience, Reads>();
export function readsOfAudience(a: Audience): Reads {
  let reads = readsOf.get(a);
  if (!reads) {
    const leaves = leavesOf(a.definition);
    reads = { facts: leaves.some((l) => !('event' in l) && !('audience' in l)), audiences: audiencesNamed(a.definition) };
    readsOf.set(a, reads);
  }
  return reads;
}

const fingerprints = new WeakMap<WorkspaceAudiences, (facts: Pick<UserFacts, 'profile' | 'calculated'>, user: AudienceUser) => string>();
/**
 * What the workspace's audiences read of a user's profile facts, as one string: when it is the
 * same as at the user's last decision, no verdict that reads facts can have changed.
 */
export function factsFingerprint(audiences: WorkspaceAudiences): (facts: Pick<UserFacts, 'profile' | 'calculated'>, user: AudienceUser) => string {
  let fingerprint = fingerprints.get(audiences);
  if (!fingerprint) {
    const leaves = audiences.ordered.flatMap((a) => leavesOf(a.definition));
    const attributes = [...new Set(leaves.flatMap((l) => ('user_attribute' in l ? [l.user_attribute.name ?? ''] : [])))];
    const calculated = [...new Set(leaves.flatMap((l) => ('calculated_attribute' in l ? [l.calculated_attribute.name ?? ''] : [])))];
    const identities = [...new Set(leaves.flatMap((l) => ('identity' in l ? [l.identity.type] : [])))];
    const device = leaves.some((l) => 'device' in l);
    const consent = leaves.some((l) => 'consent' in l);
    const firstSeen = leaves.some((l) => 'first_seen' in l);
    fingerprint = (facts, user) =>
      JSON.stringify([
        attributes.map((n) => valueNamed(facts.profile?.userAttributes, n) ?? null),
        calculated.map((n) => valueNamed(facts.calculated, n) ?? null),
        identities.map((t) => user.identities[t] ?? null),
        device ? (facts.profile?.deviceInfo ?? null) : 0,
        consent ? (facts.profile?.consentState ?? null) : 0,
        firstSeen ? (facts.profile?.firstSeenMs ?? facts.profile?.createdAtMs ?? null) : 0,
      ]);
    fingerprints.set(audiences, fingerprint);
  }
  return fingerprint;
}


const timedOf = new WeakMap<WorkspaceAudiences, ReadonlySet<number>>();
/** The workspace's audiences whose verdicts move with time alone (a `within` window): what a user due is decided again on. */
export function timedAudiences(audiences: WorkspaceAudiences): ReadonlySet<number> {
  let timed = timedOf.get(audiences);
  if (!timed) {
    const moves = (a: Audience) => leavesOf(a.definition).some((l) => ('event' in l && l.event.withinMs !== null) || ('first_seen' in l && l.first_seen.withinMs !== null));
    timed = new Set(audiences.ordered.filter(moves).map((a) => a.id));
    timedOf.set(audiences, timed);
  }
  return timed;
}
