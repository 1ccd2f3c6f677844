import { createHash, randomBytes } from 'node:crypto';
import { type Mpid, parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import type { Batch } from '../model/batch.ts';
import { USER_IDENTITY_TYPES } from '../model/identity-types.ts';
import type { IdentityResolver } from '../pipeline/ingest.ts';

/** Device ids in `device_info` that identify a device, strongest first. */
const DEVICE_IDS = ['ios_advertising_id', 'android_advertising_id', 'ios_idfv', 'android_uuid', 'push_token'] as const;

/**
 * The edge resolver used until IDSync lands (issue 3): a batch without an `mpid` gets one derived
 * from its first user identity (in documented order), else a device id, else `mp_deviceid`; a
 * batch with none of these gets a new random MPID. The same identity always maps to the same
 * MPID, but identities are not linked to each other: that is IDSync's job.
 */
export class HashedIdentityResolver implements IdentityResolver {
  resolve(workspaceId: WorkspaceId, batch: Batch): Mpid {
    const key = this.keyOf(batch);
    const bytes = key ? createHash('sha256').update(`${workspaceId}:${key}`).digest() : randomBytes(8);
    return toMpid(bytes);
  }

  private keyOf(batch: Batch): string | undefined {
    for (const type of USER_IDENTITY_TYPES) {
      const v = batch.user_identities[type];
      if (v) return `${type}:${v}`;
    }
    for (const type of DEVICE_IDS) {
      const v = batch.device_info?.[type];
      if (typeof v === 'string' && v) return `${type}:${v}`;
    }
    return batch.mp_deviceid ? `mp_deviceid:${batch.mp_deviceid}` : undefined;
  }
}

function toMpid(bytes: Buffer): Mpid {
  const n = bytes.readBigInt64BE(0);
  return parseMpid(n === 0n ? 1n : n)!;
}
