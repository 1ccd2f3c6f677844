import type { Mpid } from '../kernel/ids.ts';
import type { Environment, EventType } from './event-types.ts';
import type { UserIdentityType } from './identity-types.ts';

/** The `data` node of an event: the common fields typed, everything else kept as sent. */
export interface EventData {
  timestamp_unixtime_ms?: number | null;
  source_message_id?: string | null;
  session_uuid?: string | null;
  session_id?: number | string | null;
  event_name?: string | null;
  custom_event_type?: string | null;
  screen_name?: string | null;
  custom_attributes?: Record<string, unknown> | null;
  [field: string]: unknown;
}

/** A screen view's name: its `screen_name`, else its `event_name` (the first that is a non-empty string); null if neither is. */
export function screenNameOf(data: EventData): string | null {
  for (const name of [data.screen_name, data.event_name]) if (typeof name === 'string' && name !== '') return name;
  return null;
}

export interface BatchEvent {
  event_type: EventType;
  data: EventData;
  /** Set by the data-plan stage: the event's data plan violations (validation errors). */
  violations?: readonly object[];
}

export interface DataPlanContext {
  plan_id: string;
  plan_version?: number;
  /** Set by the data-plan stage: the results for the batch's user attributes and identities. */
  validation_results?: readonly object[];
  /** On quarantined copies: what was blocked (mParticle's quarantine format). */
  block_metadata?: object;
}

export type UserIdentities = Partial<Record<UserIdentityType, string | null>>;

/**
 * An mParticle event batch after parsing at the edge: identities normalised to their documented
 * names, `environment` defaulted, `mpid` exact. Unknown extra fields are kept as sent.
 */
export interface Batch {
  events: BatchEvent[];
  environment: Environment;
  source_request_id?: string | null;
  mpid?: Mpid;
  user_identities: UserIdentities;
  user_attributes: Record<string, unknown>;
  deleted_user_attributes?: string[] | null;
  device_info?: Record<string, unknown> | null;
  application_info?: Record<string, unknown> | null;
  consent_state?: Record<string, unknown> | null;
  context?: { data_plan?: DataPlanContext | null; [field: string]: unknown } | null;
  ip?: string | null;
  timestamp_unixtime_ms?: number | null;
  mp_deviceid?: string | null;
  sdk_version?: string | null;
  [field: string]: unknown;
}

/** Where a batch came in: Quanta's own provenance, recorded at the edge. */
export type SourceChannel = 'server_to_server' | 'javascript' | 'native' | 'pixel' | 'partner';

export interface SourceInfo {
  channel: SourceChannel;
  is_historical: boolean;
}
