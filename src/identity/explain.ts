import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { IdentityGraph } from './identity-graph.ts';
import type { IdentityEvent } from './identity-store.ts';
import type { IdentityType } from './identity-types.ts';

export interface ExplainedIdentity {
  type: IdentityType;
  value: string;
  /** The change that put this value on the profile, with its reason. */
  why: IdentityEvent | null;
}

export interface IdentityExplanation {
  mpid: Mpid;
  created: IdentityEvent | null;
  identities: ExplainedIdentity[];
  history: IdentityEvent[];
}

/**
 * Answers "why is this identity on this profile?": for each identity the profile holds, the
 * change that put it there (operation, strategy, matched identity, request, time), plus the
 * profile's whole identity history. Undefined for an unknown profile.
 */
export async function explainIdentities(graph: IdentityGraph, ws: WorkspaceId, mpid: Mpid): Promise<IdentityExplanation | undefined> {
  const record = graph.record(ws, mpid);
  if (!record) return undefined;
  const history = await graph.history(ws, mpid);
  const identities = (Object.entries(record.identities) as [IdentityType, string][]).map(([type, value]) => ({
    type,
    value,
    why:
      history.findLast(
        (e) => e.type === type && e.value === value && (e.action === 'identity_added' || e.action === 'identity_changed'),
      ) ?? null,
  }));
  return { mpid, created: history.find((e) => e.action === 'created') ?? null, identities, history };
}
