import type { WorkspaceAudiences } from './audience-registry.ts';
import type { Audience, AudienceUser } from './audience-store.ts';
import { type AudienceNode, audiencesNamed, leavesOf } from './definition.ts';
import type { UserFacts } from './evaluate.ts';
import { valueNamed } from './event-tracks.ts';

/**
 * What an audience's verdict reads, so the stage decides again only the audiences a record can
 * have moved: an audience's own event tracks, the profile facts it reads, the memberships of the
 * audiences it names. Each is made once per audience (or workspace) object: the registry makes
 * new ones when definitions change.
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
/** An audience of a workspace's snapshot with what its verdict reads besides its event tracks. */
export interface AudienceReads {
  readonly audience: Audience;
  /** Its revision's key ({@link revisionKeyOf}). */
  readonly key: string;
  /** The profile facts it reads: indexes into {@link FactReads.facts}. */
  readonly facts: readonly number[];
  /** Other audiences whose memberships it reads. */
  readonly audiences: readonly number[];
}

/** What a workspace's audiences read: each profile fact once, and each audience, in the snapshot's order. */
export interface FactReads {
  /** Each fact's value for a user, as a string to compare with the last one. */
  readonly facts: readonly ((facts: Pick<UserFacts, 'profile' | 'calculated'>, user: AudienceUser) => string)[];
  readonly audiences: readonly AudienceReads[];
}

const factReadsOf = new WeakMap<WorkspaceAudiences, FactReads>();

/**
 * What the workspace's audiences read, made once per snapshot: the distinct profile facts (a user
 * attribute, a calculated value, an identity, the device, consent, first seen), and per audience
 * which of them and which other audiences. A record decides again an audience whose facts
 * changed, not every audience that reads some fact.
 */
export function factReads(audiences: WorkspaceAudiences): FactReads {
  let reads = factReadsOf.get(audiences);
  if (reads) return reads;
  const facts: FactReads['facts'][number][] = [];
  const index = new Map<string, number>();
  const fact = (key: string, read: FactReads['facts'][number]) => {
    let i = index.get(key);
    if (i === undefined) index.set(key, (i = facts.push(read) - 1));
    return i;
  };
  const text = (v: unknown) => (v === undefined ? 'u' : JSON.stringify(v));
  const factsOf = (leaf: AudienceNode): number[] => {
    if ('user_attribute' in leaf) {
      const name = leaf.user_attribute.name ?? '';
      return [fact(`ua:${name}`, (f) => text(valueNamed(f.profile?.userAttributes, name)))];
    }
    if ('calculated_attribute' in leaf) {
      const name = leaf.calculated_attribute.name ?? '';
      return [fact(`ca:${name}`, (f) => text(valueNamed(f.calculated, name)))];
    }
    if ('identity' in leaf) {
      const type = leaf.identity.type;
      return [fact(`id:${type}`, (_, u) => text(u.identities[type]))];
    }
    if ('device' in leaf) return [fact('device', (f) => text(f.profile?.deviceInfo))];
    if ('consent' in leaf) return [fact('consent', (f) => text(f.profile?.consentState))];
    if ('first_seen' in leaf) return [fact('first_seen', (f) => text(f.profile?.firstSeenMs ?? f.profile?.createdAtMs))];
    return [];
  };
  reads = {
    facts,
    audiences: audiences.ordered.map((audience) => ({
      audience,
      key: revisionKeyOf(audience),
      facts: [...new Set(leavesOf(audience.definition).flatMap(factsOf))],
      audiences: audiencesNamed(audience.definition),
    })),
  };
  factReadsOf.set(audiences, reads);
  return reads;
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
