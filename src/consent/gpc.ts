import type { WorkspaceId } from '../kernel/ids.ts';
import type { Regulation } from './consent-state.ts';
import { GPC_DOCUMENT } from './privacy-settings.ts';
import { isJsonObject } from '../kernel/json-object.ts';

/**
 * Global Privacy Control (the guide's "Ingest GPC signals"): a browser with GPC on sends
 * `Sec-GPC: 1` with every request. On Web SDK and Events API requests the workspace's mapping
 * turns the signal into a consent on each batch that says nothing of that purpose itself (an
 * explicit consent, made by the page from `navigator.globalPrivacyControl` or otherwise, wins),
 * before the batch is validated and logged: from there it is a consent like any other (profile,
 * forwarding rules, audiences, notifications).
 */

/** The consent a signal records in a workspace (`activeGpc` of its settings). */
export interface GpcConsent {
  readonly regulation: Regulation;
  readonly purpose: string;
  readonly consented: boolean;
}

/** The request headers GPC reads. */
export interface GpcHeaders {
  readonly 'sec-gpc'?: string | string[] | undefined;
  readonly origin?: string | undefined;
  readonly referer?: string | undefined;
}

/** What a source route calls on each request's parsed body (a batch, or an array of them); the body itself when there is nothing to add. */
export type GpcRule = (ws: WorkspaceId, headers: GpcHeaders, body: unknown) => unknown;

/** Whether the request carries the signal: `Sec-GPC: 1` (the spec's only value). */
export const gpcSignalled = (headers: GpcHeaders): boolean => [headers['sec-gpc']].flat().some((v) => v?.trim() === '1');


/** Where the signal came from: the page's origin (a digital location, as the guide allows), when the browser said. */
function locationOf(headers: GpcHeaders): string | null {
  if (typeof headers.origin === 'string' && headers.origin !== '' && headers.origin !== 'null') return headers.origin;
  try {
    return typeof headers.referer === 'string' ? new URL(headers.referer).origin : null;
  } catch {
    return null;
  }
}

/** One batch with the signal's consent, unless it has a consent of its own for that purpose (whatever its case). A batch that is not an object is left to the parser. */
function withSignal(batch: unknown, consent: GpcConsent, location: string | null, nowMs: number): unknown {
  if (!isJsonObject(batch)) return batch;
  const state = batch.consent_state;
  if (state !== undefined && state !== null && !isJsonObject(state)) return batch;
  const purposes = state?.[consent.regulation];
  if (purposes !== undefined && purposes !== null && !isJsonObject(purposes)) return batch;
  const wanted = consent.purpose.toLowerCase();
  if (purposes && Object.keys(purposes).some((p) => p.toLowerCase() === wanted)) return batch;
  const recorded = {
    consented: consent.consented,
    timestamp_unixtime_ms: nowMs,
    document: GPC_DOCUMENT,
    location,
    hardware_id: typeof batch.mp_deviceid === 'string' && batch.mp_deviceid !== '' ? batch.mp_deviceid : null,
  };
  return { ...batch, consent_state: { ...state, [consent.regulation]: { ...purposes, [consent.purpose]: recorded } } };
}

/**
 * The request body with the signal applied to each batch: the body itself when the request has no
 * signal or the workspace maps it to nothing (the usual case costs a header read and a map read).
 *
 * @example
 *   applyGpc({ events: [] }, { regulation: 'ccpa', purpose: 'data_sale_opt_out', consented: true }, { 'sec-gpc': '1' }, Date.now())
 *   // { events: [], consent_state: { ccpa: { data_sale_opt_out: { consented: true, document: 'browser_gpc_signal', ... } } } }
 */
export function applyGpc(body: unknown, consent: GpcConsent | undefined, headers: GpcHeaders, nowMs: number): unknown {
  if (consent === undefined || !gpcSignalled(headers)) return body;
  const location = locationOf(headers);
  return Array.isArray(body) ? body.map((b) => withSignal(b, consent, location, nowMs)) : withSignal(body, consent, location, nowMs);
}
