import type { WorkspaceId } from '../kernel/ids.ts';
import type { ConnectionFilter } from './forwarding/filter.ts';
import type { ForwardingRule } from './forwarding/forwarding-rules.ts';
import type { Settings } from './output.ts';

/** An output as stored: a kind and its settings (confidential ones in the clear; the API masks them). */
export interface OutputRecord {
  readonly id: number;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  readonly kind: string;
  readonly settings: Settings;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export type ConnectionEnvironment = 'production' | 'development' | 'all';

/** What a connection is made of, as the API took it (filter and rules already checked). */
export interface ConnectionConfig {
  /** The input whose data it takes; null: every input of the workspace. */
  readonly inputId: number | null;
  readonly outputId: number;
  readonly environment: ConnectionEnvironment;
  /** An audience connection delivers this audience's membership changes instead of events. */
  readonly audienceId: number | null;
  /** The data filter (`forwarding/filter.ts`), null: forward every data point. */
  readonly filter: ConnectionFilter | null;
  readonly forwardingRules: readonly ForwardingRule[];
  /** The rules (ids) run for this connection, in order, after the workspace's all-outputs rules. */
  readonly rules: readonly number[];
  /** 1–100: the share of users whose data is forwarded. */
  readonly samplingPercent: number;
  readonly active: boolean;
  /** Deliver from the first batch received at or after this time; null: from when it is created. */
  readonly backfillFromMs: number | null;
}

export interface ConnectionRecord extends ConnectionConfig {
  readonly id: number;
  readonly workspaceId: WorkspaceId;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** A JavaScript rule as stored (`rules/rule-definition.ts` checked it). */
export interface RuleRecord {
  readonly id: number;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  readonly code: string;
  readonly failureAction: 'proceed' | 'discard';
  readonly timeoutMs: number;
  readonly scope: 'all_outputs' | 'connection';
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export type RuleFields = Omit<RuleRecord, 'id' | 'workspaceId' | 'createdAtMs' | 'updatedAtMs'>;

/**
 * Outputs, connections and rules, per workspace (the state file). Ids are integers, one sequence
 * per table across workspaces, so an id never names two things; reads name the workspace, so
 * another tenant's id is simply not found.
 */
export interface ConnectionStore {
  createOutput(ws: WorkspaceId, output: { name: string; kind: string; settings: Settings }, nowMs: number): OutputRecord;
  outputs(ws: WorkspaceId): OutputRecord[];
  output(ws: WorkspaceId, id: number): OutputRecord | undefined;
  updateOutput(ws: WorkspaceId, id: number, output: { name: string; settings: Settings }, nowMs: number): OutputRecord | undefined;
  /** False when there was no such output. */
  deleteOutput(ws: WorkspaceId, id: number): boolean;

  createConnection(ws: WorkspaceId, config: ConnectionConfig, nowMs: number): ConnectionRecord;
  connections(ws: WorkspaceId): ConnectionRecord[];
  connection(ws: WorkspaceId, id: number): ConnectionRecord | undefined;
  updateConnection(ws: WorkspaceId, id: number, config: ConnectionConfig, nowMs: number): ConnectionRecord | undefined;
  deleteConnection(ws: WorkspaceId, id: number): boolean;
  /** Every connection of every workspace (the delivery's view), with its output. */
  allConnections(): { connection: ConnectionRecord; output: OutputRecord }[];

  createRule(ws: WorkspaceId, rule: RuleFields, nowMs: number): RuleRecord;
  rules(ws: WorkspaceId): RuleRecord[];
  rule(ws: WorkspaceId, id: number): RuleRecord | undefined;
  updateRule(ws: WorkspaceId, id: number, rule: RuleFields, nowMs: number): RuleRecord | undefined;
  deleteRule(ws: WorkspaceId, id: number): boolean;

  close(): void;
}
