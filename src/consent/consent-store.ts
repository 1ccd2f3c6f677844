import type { WorkspaceId } from '../kernel/ids.ts';
import type { ConsentPurpose, PrivacyValues } from './privacy-settings.ts';

/** One workspace's stored privacy settings: its values (undefined until first written) and its GDPR purposes, in the order added. */
export interface StoredPrivacy {
  readonly workspaceId: WorkspaceId;
  readonly values: PrivacyValues | undefined;
  readonly updatedAtMs: number | null;
  readonly purposes: readonly ConsentPurpose[];
}

/**
 * Workspaces' privacy settings (the store kind `consent`, in the state file). Purposes are only
 * ever added: the port has no way to remove one, as mParticle's guide says of purposes. The
 * revision grows with every write, so a reader on another thread (the processor's profile stage)
 * reloads only when something changed. It holds no user data.
 *
 * @example
 *   await store.saveValues(ws, { ...DEFAULT_VALUES, ccpaEnabled: true }, Date.now());
 *   await store.addPurpose(ws, { purpose: 'marketing', addedAtMs: Date.now(), addedBy: 'client_id:abc' }); // true
 *   (await store.all()).find((s) => s.workspaceId === ws)?.purposes // [{ purpose: 'marketing', ... }]
 */
export interface ConsentStore {
  /** Every workspace that wrote settings or added a purpose. */
  all(): Promise<StoredPrivacy[]>;
  /** Replaces the workspace's values (not its purposes). */
  saveValues(ws: WorkspaceId, values: PrivacyValues, atMs: number): Promise<void>;
  /** Adds a purpose; false (and nothing written) when the workspace has one of that name. */
  addPurpose(ws: WorkspaceId, purpose: ConsentPurpose): Promise<boolean>;
  /** Grows with every write that changed something. */
  revision(): Promise<number>;
  close(): Promise<void>;
}
