import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { ConsentRules } from '../consent/consent-merge.ts';
import type { LogRecord } from '../model/envelope.ts';
import { type Applied, applyBatch, newProfile, type Profile } from './profile.ts';
import type { ProfileStore } from './profile-store.ts';

const keyOf = (ws: WorkspaceId, mpid: Mpid) => `${ws}\u0000${mpid}`;

/**
 * Profiles in memory, backed by the profile store: reads are served from memory once a profile
 * has been loaded; changes are held as dirty until `flush` writes them in one step.
 */
export class ProfileService {
  private readonly cache = new Map<string, Profile>();
  private dirty = new Set<Profile>();

  constructor(
    private readonly store: ProfileStore,
    private readonly now: () => number = Date.now,
  ) {}

  async get(ws: WorkspaceId, mpid: Mpid): Promise<Profile | undefined> {
    const key = keyOf(ws, mpid);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const stored = await this.store.get(ws, mpid);
    // Another call may have loaded it while this one waited.
    const raced = this.cache.get(key);
    if (raced) return raced;
    if (stored) this.cache.set(key, stored);
    return stored;
  }

  /** Applies a batch to its user's profile (creating it), with the workspace's consent rules: the attributes refused and what the consent merge did. */
  async apply(record: LogRecord, consentRules?: ConsentRules): Promise<Applied> {
    let profile = await this.get(record.workspaceId, record.mpid);
    if (!profile) {
      profile = newProfile(record.workspaceId, record.mpid, record.receivedAtMs);
      this.cache.set(keyOf(record.workspaceId, record.mpid), profile);
    }
    const applied = applyBatch(profile, record, consentRules);
    profile.lastStoredAtMs = this.now();
    this.dirty.add(profile);
    return applied;
  }

  /**
   * Aliasing's profile effects (aliasing guide): the source's first seen time overwrites the
   * destination's, and its install attribution is copied. Attributes, identities and consent
   * are not copied. Written at once.
   */
  async alias(ws: WorkspaceId, source: Mpid, destination: Mpid): Promise<void> {
    const from = await this.get(ws, source);
    if (!from) return;
    let to = await this.get(ws, destination);
    if (!to) {
      to = newProfile(ws, destination, this.now());
      this.cache.set(keyOf(ws, destination), to);
    }
    if (from.firstSeenMs !== null) to.firstSeenMs = from.firstSeenMs;
    if (from.attribution) to.attribution = { ...from.attribution };
    to.lastStoredAtMs = this.now();
    this.dirty.add(to);
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = this.dirty;
    this.dirty = new Set();
    try {
      await this.store.save([...batch]);
    } catch (error) {
      for (const p of batch) this.dirty.add(p);
      throw error;
    }
  }

  /** Drops these users' profiles from memory, changes not yet written included (an erasure). */
  forget(ws: WorkspaceId, mpids: readonly Mpid[]): void {
    for (const mpid of mpids) {
      const profile = this.cache.get(keyOf(ws, mpid));
      if (!profile) continue;
      this.cache.delete(keyOf(ws, mpid));
      this.dirty.delete(profile);
    }
  }

  async reset(): Promise<void> {
    this.cache.clear();
    this.dirty.clear();
    await this.store.clear();
  }
}
