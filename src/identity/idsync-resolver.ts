import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { Batch } from '../model/batch.ts';
import type { IdentityGraph } from './identity-graph.ts';
import { identitiesOfBatch } from './identity-types.ts';

/**
 * Resolves Events API batches at the edge with IDSync: a batch that names its `mpid` keeps it
 * (and its identities are added to that profile); one that does not is identified by its user
 * and device identities, exactly as an `identify` request with them would be, and so is one
 * naming an erased user's MPID: the erased user never comes back under it. Ingest's
 * `IdentityResolver` (the seam is the write path's; this implements it structurally).
 */
export class IdSyncResolver {
  constructor(private readonly graph: IdentityGraph) {}

  async resolve(ws: WorkspaceId, batch: Batch): Promise<Mpid> {
    const known = identitiesOfBatch(batch);
    if (batch.mpid !== undefined && !this.graph.isErased(ws, batch.mpid)) {
      await this.graph.attach(ws, batch.mpid, known, 'events_api');
      return batch.mpid;
    }
    return (await this.graph.resolve(ws, { operation: 'events', source: 'events_api', known })).mpid;
  }
}
