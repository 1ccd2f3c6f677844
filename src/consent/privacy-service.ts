import type { WorkspaceId } from '../kernel/ids.ts';
import { KeyedQueue } from '../kernel/keyed-queue.ts';
import type { Actor } from '../model/actor.ts';
import type { PrivacySettingsReader } from '../privacy/subject-data.ts';
import { PrivacySettingsInvalid, PurposeExists, PurposeInvalid, PurposeLimit, PurposeNotFound, PurposePermanent } from './consent-errors.ts';
import type { ConsentStore, StoredPrivacy } from './consent-store.ts';
import { CCPA_PURPOSE, type Regulation } from './consent-state.ts';
import { activeGpc, type ConsentPurpose, DEFAULT_VALUES, defaultSettings, GPC_DOCUMENT, MAX_PURPOSES, parsePurposeName, parseSettingsChange, type PrivacySettings } from './privacy-settings.ts';

const DAY_MS = 86_400_000;

/** A purpose as the API lists it: GDPR's defined ones, and CCPA's `data_sale_opt_out` while CCPA is enabled. */
export interface PurposeView {
  regulation: Regulation;
  purpose: string;
  /** ISO 8601; null for CCPA's built-in purpose. */
  created_on: string | null;
  created_by: string | null;
}

/** `GET /platform/v2/workspaces/{id}/privacy`. */
export interface PrivacySettingsView {
  workspace_id: number;
  regulations: { gdpr: { enabled: boolean }; ccpa: { enabled: boolean } };
  purposes: PurposeView[];
  erasure_waiting_period_days: number;
  gpc: { enabled: boolean; regulation: Regulation; purpose: string; consented: boolean; document: string; active: boolean };
  last_modified_on: string | null;
}

const fromStored = (s: StoredPrivacy): PrivacySettings => ({ workspaceId: s.workspaceId, ...(s.values ?? DEFAULT_VALUES), gdprPurposes: s.purposes, updatedAtMs: s.updatedAtMs });

const purposeView = (p: ConsentPurpose): PurposeView => ({ regulation: 'gdpr', purpose: p.purpose, created_on: new Date(p.addedAtMs).toISOString(), created_by: p.addedBy });

/**
 * Workspaces' privacy settings on the app thread: all of them in memory (loaded at start, kept in
 * step by this service's own writes, the only writer), so ingest's GPC rule and the DSR
 * lifecycle's waiting period are reads of a map. Writes of one workspace run one at a time and
 * reach the store before the map.
 */
export class PrivacySettingsService implements PrivacySettingsReader {
  private readonly writes = new KeyedQueue<WorkspaceId>();

  private constructor(
    private readonly store: ConsentStore,
    private readonly byWorkspace: Map<WorkspaceId, PrivacySettings>,
    private readonly now: () => number,
  ) {}

  static async open(store: ConsentStore, now: () => number = Date.now): Promise<PrivacySettingsService> {
    const stored = await store.all();
    return new PrivacySettingsService(store, new Map(stored.map((s) => [s.workspaceId, fromStored(s)])), now);
  }

  /** The workspace's settings (the defaults while it wrote none): a read of memory. */
  settings(ws: WorkspaceId): PrivacySettings {
    return this.byWorkspace.get(ws) ?? defaultSettings(ws);
  }

  erasureWaitingPeriodMs(ws: WorkspaceId): number {
    return this.settings(ws).erasureWaitingPeriodDays * DAY_MS;
  }

  view(ws: WorkspaceId): PrivacySettingsView {
    const s = this.settings(ws);
    const gpc = activeGpc(s);
    return {
      workspace_id: ws,
      regulations: { gdpr: { enabled: s.gdprEnabled }, ccpa: { enabled: s.ccpaEnabled } },
      purposes: this.purposes(ws),
      erasure_waiting_period_days: s.erasureWaitingPeriodDays,
      gpc: {
        enabled: s.gpc.enabled,
        regulation: s.gpc.regulation,
        purpose: s.gpc.regulation === 'ccpa' ? CCPA_PURPOSE : (s.gpc.purpose ?? ''),
        consented: s.gpc.regulation === 'ccpa',
        document: GPC_DOCUMENT,
        active: gpc !== undefined,
      },
      last_modified_on: s.updatedAtMs === null ? null : new Date(s.updatedAtMs).toISOString(),
    };
  }

  purposes(ws: WorkspaceId): PurposeView[] {
    const s = this.settings(ws);
    const ccpa: PurposeView[] = s.ccpaEnabled ? [{ regulation: 'ccpa', purpose: CCPA_PURPOSE, created_on: null, created_by: null }] : [];
    return [...s.gdprPurposes.map(purposeView), ...ccpa];
  }

  /** Applies a settings change (`PATCH`); 400 naming each bad field, nothing changed then. */
  update(ws: WorkspaceId, body: unknown): Promise<PrivacySettingsView> {
    return this.writes.run(ws, async () => {
      const current = this.settings(ws);
      const parsed = parseSettingsChange(body, current);
      if (!parsed.ok) throw new PrivacySettingsInvalid(parsed.problems);
      const atMs = this.now();
      await this.store.saveValues(ws, parsed.value, atMs);
      this.byWorkspace.set(ws, { ...current, ...parsed.value, updatedAtMs: atMs });
      return this.view(ws);
    });
  }

  /** Adds a GDPR purpose (`POST .../purposes`); 409 when the workspace has it. */
  addPurpose(ws: WorkspaceId, body: unknown, actor: Actor): Promise<PurposeView> {
    return this.writes.run(ws, async () => {
      const parsed = parsePurposeName(body);
      if (!parsed.ok) throw new PurposeInvalid(parsed.problems);
      const current = this.settings(ws);
      if (current.gdprPurposes.some((p) => p.purpose === parsed.value)) throw new PurposeExists(ws, parsed.value);
      if (current.gdprPurposes.length >= MAX_PURPOSES) throw new PurposeLimit(MAX_PURPOSES);
      const purpose: ConsentPurpose = { purpose: parsed.value, addedAtMs: this.now(), addedBy: actor.by };
      if (!(await this.store.addPurpose(ws, purpose))) throw new PurposeExists(ws, parsed.value);
      this.byWorkspace.set(ws, { ...current, gdprPurposes: [...current.gdprPurposes, purpose] });
      return purposeView(purpose);
    });
  }

  /** Purposes are never removed: 409 for one the workspace has, 404 for one it has not. */
  removePurpose(ws: WorkspaceId, name: string): never {
    const known = this.purposes(ws).some((p) => p.purpose === name.toLowerCase());
    throw known ? new PurposePermanent(name) : new PurposeNotFound(ws, name);
  }
}
