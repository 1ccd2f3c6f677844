/**
 * User sampling (mParticle's Connections guide): a connection forwards the data of a share of
 * users, all of each sampled user's data and none of the others' ("if you select a 50% sample,
 * mParticle forwards all data received from half of your users, not half of each user's data").
 *
 * A user's place is a hash of the connection's salt and the MPID, so the same user is always in or
 * always out of a connection's sample, and two connections (two salts) sample independently. The
 * hash is part of the contract: changing it would move users in and out of every sample.
 */
import type { Mpid } from '../../kernel/ids.ts';
import type { Parsed } from '../stream-batch.ts';

/** FNV-1a (32-bit) over the salt, a NUL, then the MPID, finished with murmur3's fmix32 so MPIDs that differ in one digit land far apart. */
function hash(salt: string, mpid: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < salt.length; i++) h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193);
  h = Math.imul(h, 0x01000193); // the NUL between them: h ^ 0 is h
  for (let i = 0; i < mpid.length; i++) h = Math.imul(h ^ mpid.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The user's place in a connection's sample, 0–99: in a `p`% sample when below `p`. */
export function sampleSlot(mpid: Mpid, salt: string): number {
  return hash(salt, mpid) % 100;
}

/**
 * Whether the user is in a `percent`% sample (100: everyone; 0 or less: no one).
 *
 * @example
 *   inSample(mpid, 30, `connection:${connectionId}`) // the same answer for this user every time
 */
export function inSample(mpid: Mpid, percent: number, salt: string): boolean {
  if (percent >= 100) return true;
  if (percent <= 0) return false;
  return sampleSlot(mpid, salt) < percent;
}

/**
 * Checks a connection's `sampling_percent`: a whole number from 1 to 100, 100 (every user) when
 * left out. 0 is refused: a connection that forwards nothing is made inactive instead.
 */
export function parseSamplingPercent(raw: unknown, path = 'sampling_percent'): Parsed<number> {
  if (raw === undefined || raw === null) return { ok: true, value: 100 };
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 && raw <= 100) return { ok: true, value: raw };
  return { ok: false, problems: [`${path}: must be a whole number from 1 to 100, the percentage of users whose data is forwarded`] };
}
