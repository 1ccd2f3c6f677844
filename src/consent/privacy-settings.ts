import { type ErrorDetail, problem } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { ConsentRules } from './consent-merge.ts';
import { CCPA_PURPOSE, REGULATIONS, type Regulation } from './consent-state.ts';
import { isJsonObject } from '../kernel/json-object.ts';

/**
 * A workspace's privacy settings (mParticle sets them in its UI: Workspace Settings > Regulation,
 * Setup > Privacy Settings; Quanta through its Platform API): which regulations it applies, its
 * GDPR purposes, how long an erasure waits, and what a browser's Global Privacy Control signal
 * means.
 */

/** What a GPC signal (`Sec-GPC: 1`) on a Web SDK or Events API request records, when a batch says nothing of that purpose itself. */
export interface GpcMapping {
  readonly enabled: boolean;
  /** `ccpa`: `data_sale_opt_out` consented (an opt-out of sale); `gdpr`: `purpose` not consented. */
  readonly regulation: Regulation;
  /** The GDPR purpose a signal rejects (one the workspace defined, lowercase); null for CCPA. */
  readonly purpose: string | null;
}

/** The settings besides the purposes list, as one write changes them. */
export interface PrivacyValues {
  readonly gdprEnabled: boolean;
  readonly ccpaEnabled: boolean;
  /** Days an erasure request waits before it runs (mParticle: 7). */
  readonly erasureWaitingPeriodDays: number;
  readonly gpc: GpcMapping;
}

/** A GDPR purpose the workspace defined. Once added it is never removed (the guide's warning). */
export interface ConsentPurpose {
  /** Lowercase: batches' purposes are matched to it whatever their case. */
  readonly purpose: string;
  readonly addedAtMs: number;
  readonly addedBy: string;
}

export interface PrivacySettings extends PrivacyValues {
  readonly workspaceId: WorkspaceId;
  readonly gdprPurposes: readonly ConsentPurpose[];
  /** When the values were last written; null while they are the defaults. */
  readonly updatedAtMs: number | null;
}

/** The document a GPC signal's consent names (the guide's sample). */
export const GPC_DOCUMENT = 'browser_gpc_signal';
export const DEFAULT_WAITING_DAYS = 7;
export const MAX_WAITING_DAYS = 90;
export const MAX_PURPOSE_LENGTH = 100;
export const MAX_PURPOSES = 200;

/** A workspace that wrote nothing: no regulation enabled, GPC mapped to CCPA's opt-out (applied once CCPA is enabled). */
export const DEFAULT_VALUES: PrivacyValues = {
  gdprEnabled: false,
  ccpaEnabled: false,
  erasureWaitingPeriodDays: DEFAULT_WAITING_DAYS,
  gpc: { enabled: true, regulation: 'ccpa', purpose: null },
};

export const defaultSettings = (workspaceId: WorkspaceId): PrivacySettings => ({ workspaceId, ...DEFAULT_VALUES, gdprPurposes: [], updatedAtMs: null });

/** What the profile stage applies: the defined GDPR purposes, or any while there are none. */
export function consentRulesOf(settings: PrivacySettings): ConsentRules {
  return { gdprPurposes: settings.gdprPurposes.length === 0 ? null : new Set(settings.gdprPurposes.map((p) => p.purpose)) };
}

/** The consent a GPC signal records, when the mapping is on and its regulation enabled; undefined otherwise. */
export function activeGpc(settings: PrivacySettings): { regulation: Regulation; purpose: string; consented: boolean } | undefined {
  const { gpc } = settings;
  if (!gpc.enabled) return undefined;
  if (gpc.regulation === 'ccpa') return settings.ccpaEnabled ? { regulation: 'ccpa', purpose: CCPA_PURPOSE, consented: true } : undefined;
  return settings.gdprEnabled && gpc.purpose !== null ? { regulation: 'gdpr', purpose: gpc.purpose, consented: false } : undefined;
}

type Bag = Record<string, unknown>;
const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

function unknownFields(bag: Bag, known: readonly string[], path: string, problems: ErrorDetail[]): void {
  for (const key of Object.keys(bag)) if (!known.includes(key)) problems.push(problem(`${path}${key}: unknown field; known fields are ${quoted(known)}.`));
}

function flag(bag: Bag, key: string, path: string, problems: ErrorDetail[]): boolean | undefined {
  const v = bag[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') problems.push(problem(`${path}${key}: must be true or false.`));
  return typeof v === 'boolean' ? v : undefined;
}

function regulationFlag(regulations: Bag, name: Regulation, problems: ErrorDetail[]): boolean | undefined {
  const r = regulations[name];
  if (r === undefined) return undefined;
  if (!isJsonObject(r)) {
    problems.push(problem(`regulations.${name}: must be an object, {"enabled": true|false}.`));
    return undefined;
  }
  unknownFields(r, ['enabled'], `regulations.${name}.`, problems);
  return flag(r, 'enabled', `regulations.${name}.`, problems);
}

/**
 * A settings change (`PATCH`): any of `regulations.{gdpr,ccpa}.enabled`,
 * `erasure_waiting_period_days` and `gpc.{enabled,regulation,purpose}`, applied over the current
 * settings. Every problem is named by its field; nothing is applied when there is one.
 */
export function parseSettingsChange(body: unknown, current: PrivacySettings): { ok: true; value: PrivacyValues } | { ok: false; problems: ErrorDetail[] } {
  if (!isJsonObject(body)) return { ok: false, problems: [problem('The request body must be a JSON object of the settings to change.')] };
  const problems: ErrorDetail[] = [];
  unknownFields(body, ['regulations', 'erasure_waiting_period_days', 'gpc'], '', problems);
  let { gdprEnabled, ccpaEnabled, erasureWaitingPeriodDays } = current;
  if (body.regulations !== undefined) {
    if (!isJsonObject(body.regulations)) problems.push(problem('regulations: must be an object, {"gdpr": {"enabled": ...}, "ccpa": {"enabled": ...}}.'));
    else {
      unknownFields(body.regulations, REGULATIONS, 'regulations.', problems);
      gdprEnabled = regulationFlag(body.regulations, 'gdpr', problems) ?? gdprEnabled;
      ccpaEnabled = regulationFlag(body.regulations, 'ccpa', problems) ?? ccpaEnabled;
    }
  }
  const days = body.erasure_waiting_period_days;
  if (days !== undefined) {
    if (!Number.isSafeInteger(days) || (days as number) < 0 || (days as number) > MAX_WAITING_DAYS) {
      problems.push(problem(`erasure_waiting_period_days: must be a whole number of days from 0 to ${MAX_WAITING_DAYS}.`));
    } else erasureWaitingPeriodDays = days as number;
  }
  const gpc = body.gpc === undefined ? current.gpc : parseGpc(body.gpc, current, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { gdprEnabled, ccpaEnabled, erasureWaitingPeriodDays, gpc } };
}

function parseGpc(raw: unknown, current: PrivacySettings, problems: ErrorDetail[]): GpcMapping {
  if (!isJsonObject(raw)) {
    problems.push(problem('gpc: must be an object, {"enabled": true|false, "regulation": "ccpa"|"gdpr", "purpose": "<a GDPR purpose>"}.'));
    return current.gpc;
  }
  unknownFields(raw, ['enabled', 'regulation', 'purpose'], 'gpc.', problems);
  const enabled = flag(raw, 'enabled', 'gpc.', problems) ?? current.gpc.enabled;
  let regulation = current.gpc.regulation;
  if (raw.regulation !== undefined) {
    if (raw.regulation === 'gdpr' || raw.regulation === 'ccpa') regulation = raw.regulation;
    else problems.push(problem(`gpc.regulation: must be one of ${quoted(REGULATIONS)}.`));
  }
  if (regulation === 'ccpa') {
    if (raw.purpose !== undefined && raw.purpose !== null && raw.purpose !== CCPA_PURPOSE) problems.push(problem(`gpc.purpose: a CCPA mapping's purpose is always "${CCPA_PURPOSE}"; leave it out.`));
    return { enabled, regulation, purpose: null };
  }
  const sent = raw.purpose === undefined ? current.gpc.purpose : raw.purpose;
  if (typeof sent !== 'string' || sent === '') {
    problems.push(problem('gpc.purpose: required with "regulation": "gdpr", the GDPR purpose a GPC signal rejects.'));
    return current.gpc;
  }
  const purpose = sent.toLowerCase();
  if (!current.gdprPurposes.some((p) => p.purpose === purpose)) {
    problems.push(problem(`gpc.purpose: "${sent}" is not a GDPR purpose of the workspace; add it first (POST .../privacy/purposes).`));
  }
  return { enabled, regulation, purpose };
}

/** A new purpose's name (`POST .../privacy/purposes`, `{"purpose": "marketing"}`), lowercase; the problems otherwise. */
export function parsePurposeName(body: unknown): { ok: true; value: string } | { ok: false; problems: ErrorDetail[] } {
  if (!isJsonObject(body)) return { ok: false, problems: [problem('The request body must be a JSON object, {"purpose": "<name>"}.')] };
  const problems: ErrorDetail[] = [];
  unknownFields(body, ['purpose'], '', problems);
  const name = body.purpose;
  if (typeof name !== 'string' || name.trim() === '') problems.push(problem('purpose: required, the name of the GDPR purpose (e.g. "marketing").'));
  else if (name.length > MAX_PURPOSE_LENGTH) problems.push(problem(`purpose: longer than ${MAX_PURPOSE_LENGTH} characters.`));
  else if (name !== name.trim() || /[\p{Cc}]/u.test(name)) problems.push(problem('purpose: must not start or end with spaces nor hold control characters.'));
  else if (name.toLowerCase() === CCPA_PURPOSE) problems.push(problem(`purpose: "${CCPA_PURPOSE}" is CCPA's purpose, there when CCPA is enabled; it is not a GDPR purpose.`));
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: (name as string).toLowerCase() };
}
