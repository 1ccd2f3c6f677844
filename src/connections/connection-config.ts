import type { WorkspaceId } from '../kernel/ids.ts';
import { problem } from '../kernel/errors.ts';
import { ConnectionsInvalid } from './connection-errors.ts';
import type { ConnectionConfig, ConnectionEnvironment, ConnectionRecord, ConnectionStore } from './connection-store.ts';
import { parseFilter } from './forwarding/filter.ts';
import { parseForwardingRules } from './forwarding/forwarding-rules.ts';
import { parseSamplingPercent } from './forwarding/sampling.ts';
import type { OutputKinds } from './kinds/index.ts';
import type { Problem } from './stream-batch.ts';

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => v !== null && typeof v === 'object' && !Array.isArray(v);
const invalid = (problems: readonly Problem[]) => new ConnectionsInvalid(problems.map(problem));

export const ENVIRONMENTS: readonly ConnectionEnvironment[] = ['production', 'development', 'all'];
const CONNECTION_FIELDS = ['input_id', 'output_id', 'environment', 'audience_id', 'filter', 'forwarding_rules', 'rules', 'sampling_percent', 'active', 'backfill_from'];

/** What checking a connection's body reads: the workspace's outputs, rules, inputs and audiences. */
export interface ConnectionParsing {
  readonly store: ConnectionStore;
  readonly kinds: OutputKinds;
  inputsOf(ws: WorkspaceId): readonly number[];
  audienceExists(ws: WorkspaceId, id: number): Promise<boolean>;
}

/**
 * A connection's body checked whole (a create, or a PATCH over `current`: fields left out keep
 * their values), every problem named by its field: the input and output must be the workspace's,
 * an audience connection's output must take audiences and has no filter or rules, the filter,
 * forwarding rules and sampling are parsed by `forwarding/`, rules must exist, `backfill_from`
 * only on a create.
 */
export async function parseConnection(deps: ConnectionParsing, ws: WorkspaceId, raw: unknown, current: ConnectionRecord | undefined): Promise<ConnectionConfig> {
  if (!isBag(raw)) throw invalid(['body: send the connection as an object ({"output_id": ...})']);
  const problems: Problem[] = Object.keys(raw)
    .filter((k) => !CONNECTION_FIELDS.includes(k))
    .map((k) => `${k}: not a field of a connection; the fields are ${CONNECTION_FIELDS.join(', ')}`);
  const has = (field: string) => raw[field] !== undefined;
  const inputs = deps.inputsOf(ws);

  let inputId = current?.inputId ?? inputs[0] ?? null;
  if (has('input_id')) {
    if (!Number.isSafeInteger(raw.input_id) || !inputs.includes(raw.input_id as number)) problems.push(`input_id: ${JSON.stringify(raw.input_id)} is not an input of workspace ${ws}; its inputs are ${inputs.join(', ')}`);
    else inputId = raw.input_id as number;
  }
  let outputId = current?.outputId;
  let kind = current && deps.kinds.get(deps.store.output(ws, current.outputId)?.kind ?? '');
  if (has('output_id') || !current) {
    const o = Number.isSafeInteger(raw.output_id) ? deps.store.output(ws, raw.output_id as number) : undefined;
    if (!has('output_id')) problems.push('output_id: required, the id of an output of this workspace');
    else if (!o) problems.push(`output_id: ${JSON.stringify(raw.output_id)} is not an output of workspace ${ws}`);
    else {
      outputId = o.id;
      kind = deps.kinds.get(o.kind);
    }
  }
  let environment = current?.environment ?? 'all';
  if (has('environment')) {
    if (!ENVIRONMENTS.includes(raw.environment as ConnectionEnvironment)) problems.push(`environment: must be one of ${ENVIRONMENTS.map((e) => `"${e}"`).join(', ')}`);
    else environment = raw.environment as ConnectionEnvironment;
  }
  let audienceId = current?.audienceId ?? null;
  if (current && has('audience_id') && raw.audience_id !== current.audienceId) {
    problems.push('audience_id: a connection\'s audience cannot change; create another connection');
  } else if (!current && has('audience_id') && raw.audience_id !== null) {
    if (!Number.isSafeInteger(raw.audience_id) || !(await deps.audienceExists(ws, raw.audience_id as number))) {
      problems.push(`audience_id: ${JSON.stringify(raw.audience_id)} is not an audience of workspace ${ws}`);
    } else if (kind && !kind.audiences) {
      const audienceKinds = [...deps.kinds.values()].filter((k) => k.audiences).map((k) => k.name);
      problems.push(`audience_id: ${kind.name} outputs take events only; audiences go to ${audienceKinds.join(', ')} outputs`);
    } else audienceId = raw.audience_id as number;
  }
  if (audienceId !== null) {
    for (const field of ['filter', 'forwarding_rules', 'rules', 'backfill_from'] as const) {
      if (has(field)) problems.push(`${field}: an audience connection sends membership changes, which ${field} does not apply to; leave it out`);
    }
  }
  let filter = current?.filter ?? null;
  if (has('filter')) {
    if (raw.filter === null) filter = null;
    else {
      const parsed = parseFilter(raw.filter, 'filter');
      if (parsed.ok) filter = parsed.value;
      else problems.push(...parsed.problems);
    }
  }
  let forwardingRules = current?.forwardingRules ?? [];
  if (has('forwarding_rules')) {
    const parsed = parseForwardingRules(raw.forwarding_rules, 'forwarding_rules');
    if (parsed.ok) forwardingRules = parsed.value;
    else problems.push(...parsed.problems);
  }
  let rules = current?.rules ?? [];
  if (has('rules')) {
    const known = new Set(deps.store.rules(ws).map((r) => r.id));
    if (!Array.isArray(raw.rules)) problems.push('rules: must be a list of rule ids');
    else {
      raw.rules.forEach((r, i) => {
        if (!Number.isSafeInteger(r) || !known.has(r as number)) problems.push(`rules[${i}]: ${JSON.stringify(r)} is not a rule of workspace ${ws}`);
      });
      rules = raw.rules as number[];
    }
  }
  let samplingPercent = current?.samplingPercent ?? 100;
  if (has('sampling_percent')) {
    const parsed = parseSamplingPercent(raw.sampling_percent, 'sampling_percent');
    if (parsed.ok) samplingPercent = parsed.value;
    else problems.push(...parsed.problems);
  }
  let active = current?.active ?? true;
  if (has('active')) {
    if (typeof raw.active !== 'boolean') problems.push('active: must be true or false');
    else active = raw.active;
  }
  let backfillFromMs = current?.backfillFromMs ?? null;
  if (has('backfill_from')) {
    const at = typeof raw.backfill_from === 'string' ? Date.parse(raw.backfill_from) : Number.NaN;
    if (current) problems.push('backfill_from: only a new connection backfills; create another connection to deliver history');
    else if (Number.isNaN(at)) problems.push('backfill_from: must be a date-time (ISO 8601, e.g. "2026-12-01T00:00:00Z")');
    else backfillFromMs = at;
  }
  if (problems.length > 0 || outputId === undefined) throw invalid(problems);
  return { inputId, outputId, environment, audienceId, filter, forwardingRules, rules, samplingPercent, active, backfillFromMs };
}
