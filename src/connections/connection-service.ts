import { problem } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import { KeyedQueue } from '../kernel/keyed-queue.ts';
import { ConnectionNotFound, ConnectionsInUse, ConnectionsInvalid, OutputNotFound, RuleNotFound, ServiceNotFound } from './connection-errors.ts';
import type { ConnectionRecord, ConnectionStore, OutputRecord, RuleRecord } from './connection-store.ts';
import type { DeadLetter, DeliveryStore } from './delivery-store.ts';
import { type ConnectionParsing, parseConnection } from './connection-config.ts';
import type { OutputKinds } from './kinds/index.ts';
import type { OutputKind } from './output.ts';
import { parseRule, RULE_TIMEOUT_MS } from './rules/rule-definition.ts';
import { maskedSettings, parseSettings } from './settings.ts';
import type { Problem } from './stream-batch.ts';

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => v !== null && typeof v === 'object' && !Array.isArray(v);
const iso = (ms: number) => new Date(ms).toISOString();
const invalid = (problems: readonly Problem[]) => new ConnectionsInvalid(problems.map(problem));


/** What the service needs besides its stores. */
export interface ConnectionServiceDeps {
  /** The output kinds outputs may be of. */
  kinds: OutputKinds;
  /** The workspace's inputs, the default (bootstrap) one first. */
  inputsOf(ws: WorkspaceId): readonly number[];
  /** Whether the workspace has this audience. */
  audienceExists(ws: WorkspaceId, id: number): Promise<boolean>;
  /** An audience's membership changes after a seq: what an audience connection has still to send. */
  audiencePending(ws: WorkspaceId, audienceId: number, afterSeq: number): Promise<{ count: number; oldestAtMs: number | null }>;
  /** A connection, output or rule changed: the deliveries start, stop or restart with it. */
  onChanged(): void;
  /** A connection's last delivery failures, newest last. */
  recentErrors(id: number): { at: string; message: string }[];
  /** Whether rule code loads and sets `exports.handler` (in the rules' sandbox process): the problem, or undefined. */
  checkRuleCode(code: string, timeoutMs: number): Promise<string | undefined>;
  /** A rule's runs, errors and last errors, as the deliveries counted them. */
  ruleStatus(id: number): RuleStatus;
  /** Sends dead letters again (each tried once), answering how many went. */
  replay(connection: ConnectionRecord, output: OutputRecord, letters: readonly DeadLetter[]): Promise<{ delivered: number; failed: number }>;
  now?: () => number;
}

export interface RuleStatus {
  runs: number;
  errors: number;
  timeouts: number;
  dropped: number;
  last_errors: { at: string; message: string }[];
}

/** An output as the API answers it: confidential settings masked. */
const outputView = (kinds: OutputKinds, o: OutputRecord) => ({
  id: o.id,
  name: o.name,
  kind: o.kind,
  settings: maskedSettings(kinds.get(o.kind), o.settings),
  created_at: iso(o.createdAtMs),
  updated_at: iso(o.updatedAtMs),
});

export const connectionView = (c: ConnectionRecord) => ({
  id: c.id,
  input_id: c.inputId,
  output_id: c.outputId,
  environment: c.environment,
  audience_id: c.audienceId,
  filter: c.filter,
  forwarding_rules: c.forwardingRules,
  rules: c.rules,
  sampling_percent: c.samplingPercent,
  active: c.active,
  backfill_from: c.backfillFromMs === null ? null : iso(c.backfillFromMs),
  created_at: iso(c.createdAtMs),
  updated_at: iso(c.updatedAtMs),
});

/** How far a connection created with `backfill_from` got: what it has done of all it has had to do. */
function backfillProgress(fromMs: number, done: { sent: number; filtered: number; dead_lettered: number }, pending: number) {
  const finished = done.sent + done.filtered + done.dead_lettered;
  return { from: iso(fromMs), percent: pending === 0 ? 100 : Math.floor((100 * finished) / (finished + pending)) };
}

/** A service (output kind) as `GET /v1/services` lists it. */
const serviceView = (k: OutputKind) => ({
  name: k.name,
  description: k.description,
  settings: k.settings.map((s) => ({
    is_required: s.is_required,
    name: s.name,
    description: s.description,
    type: s.type === 'bool' ? 'Bool' : s.type === 'int' ? 'Int' : 'String',
    ...(s.is_confidential ? { is_confidential: true } : {}),
    ...(s.default === undefined ? {} : { default_value: s.default }),
    ...(s.one_of ? { allowed_values: s.one_of } : {}),
  })),
  data_type: 'service',
});

/**
 * The connections Platform API's rules for outputs, connections and rules, for every caller (the
 * routes, the CLI): every body checked whole, every problem named by its field's path, nothing
 * stored when one is found; unknown ids and another workspace's ids are 404s; an output or rule a
 * connection uses cannot be deleted (409). Writes of one workspace run one at a time, so a check
 * of what exists sees what the write it allows changes.
 */
export class ConnectionService {
  private readonly writes = new KeyedQueue<WorkspaceId>();
  private readonly now: () => number;
  private readonly kinds: OutputKinds;
  private readonly parsing: ConnectionParsing;

  constructor(
    private readonly store: ConnectionStore,
    private readonly delivery: DeliveryStore,
    private readonly deps: ConnectionServiceDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.kinds = deps.kinds;
    this.parsing = { store, kinds: deps.kinds, inputsOf: (ws) => deps.inputsOf(ws), audienceExists: (ws, id) => deps.audienceExists(ws, id) };
  }

  services() {
    return [...this.kinds.values()].map(serviceView);
  }

  service(name: string) {
    const kind = this.kinds.get(name);
    if (!kind) throw new ServiceNotFound(name, [...this.kinds.keys()]);
    return serviceView(kind);
  }

  outputs(ws: WorkspaceId) {
    return this.store.outputs(ws).map((o) => outputView(this.kinds, o));
  }

  output(ws: WorkspaceId, id: number) {
    return outputView(this.kinds, this.findOutput(ws, id));
  }

  async createOutput(ws: WorkspaceId, body: unknown) {
    return this.writes.run(ws, async () => {
      const { name, kind, settings } = this.parseOutput(body, undefined);
      return outputView(this.kinds, this.store.createOutput(ws, { name, kind: kind.name, settings }, this.now()));
    });
  }

  /** Replaces the name and settings (a masked confidential value sent back keeps the stored one); the kind is fixed. */
  async updateOutput(ws: WorkspaceId, id: number, body: unknown) {
    return this.writes.run(ws, async () => {
      const current = this.findOutput(ws, id);
      const { name, settings } = this.parseOutput(body, current);
      const updated = this.store.updateOutput(ws, id, { name, settings }, this.now());
      this.deps.onChanged();
      return outputView(this.kinds, updated!);
    });
  }

  async deleteOutput(ws: WorkspaceId, id: number): Promise<void> {
    return this.writes.run(ws, async () => {
      this.findOutput(ws, id);
      const users = this.store.connections(ws).filter((c) => c.outputId === id).map((c) => c.id);
      if (users.length > 0) throw new ConnectionsInUse(`Output ${id}`, users);
      this.store.deleteOutput(ws, id);
    });
  }

  connections(ws: WorkspaceId) {
    return this.store.connections(ws).map(connectionView);
  }

  connection(ws: WorkspaceId, id: number) {
    return connectionView(this.findConnection(ws, id));
  }

  async createConnection(ws: WorkspaceId, body: unknown) {
    return this.writes.run(ws, async () => {
      const config = await parseConnection(this.parsing, ws, body, undefined);
      const created = this.store.createConnection(ws, config, this.now());
      this.deps.onChanged();
      return connectionView(created);
    });
  }

  /** Changes the fields the body names; the result is checked whole. */
  async patchConnection(ws: WorkspaceId, id: number, body: unknown) {
    return this.writes.run(ws, async () => {
      const current = this.findConnection(ws, id);
      const config = await parseConnection(this.parsing, ws, body, current);
      const updated = this.store.updateConnection(ws, id, config, this.now());
      this.deps.onChanged();
      return connectionView(updated!);
    });
  }

  async deleteConnection(ws: WorkspaceId, id: number): Promise<void> {
    return this.writes.run(ws, async () => {
      this.findConnection(ws, id);
      this.store.deleteConnection(ws, id);
      this.deps.onChanged();
      await this.delivery.dropConnection(id);
    });
  }

  /** `GET .../connections/{id}/status`: what its delivery did and what waits. */
  async status(ws: WorkspaceId, id: number) {
    const c = this.findConnection(ws, id);
    // Read, not created: the delivery creates it where the connection starts (its backfill, say).
    const cursor = (await this.delivery.peekCursor(id)) ?? {
      committed: c.audienceId !== null ? -1 : c.backfillFromMs === null ? await this.delivery.endSeq() : await this.delivery.seqBefore(c.backfillFromMs),
      claimed: 0, sent: 0, filtered: 0, failed: 0, retried: 0, dead_lettered: 0, lastError: null,
    };
    const pending =
      c.audienceId === null
        ? await this.delivery.pending(ws, cursor.committed)
        : await this.audiencePending(ws, c.audienceId, cursor.committed);
    return {
      connection_id: id,
      active: c.active,
      sent: cursor.sent,
      filtered: cursor.filtered,
      failed: cursor.failed,
      retried: cursor.retried,
      pending: pending.count,
      dead_lettered: cursor.dead_lettered,
      oldest_pending_age_seconds: pending.oldestReceivedAtMs === null ? null : Math.max(0, (this.now() - pending.oldestReceivedAtMs) / 1000),
      last_error: cursor.lastError && { at: iso(cursor.lastError.atMs), message: cursor.lastError.message },
      recent_errors: this.deps.recentErrors(id),
      ...(c.backfillFromMs === null ? {} : { backfill: backfillProgress(c.backfillFromMs, cursor, pending.count) }),
    };
  }

  /** An audience connection's pending changes: none are counted before its members are sent (they are then). */
  private async audiencePending(ws: WorkspaceId, audienceId: number, committed: number) {
    if (committed < 0) return { count: 0, oldestReceivedAtMs: null };
    const p = await this.deps.audiencePending(ws, audienceId, committed);
    return { count: p.count, oldestReceivedAtMs: p.oldestAtMs };
  }

  async deadLetters(ws: WorkspaceId, id: number, page: { after?: number; limit: number }) {
    this.findConnection(ws, id);
    const letters = await this.delivery.deadLetters(id, page.limit, page.after);
    return {
      data: letters.map((d) => ({
        id: d.id,
        idempotency_key: d.key,
        batches: d.batches.length,
        changes: d.changes.length,
        mpids: [...new Set([...d.batches, ...d.changes].map((b) => b.mpid))],
        error: d.error,
        attempts: d.attempts,
        created_at: iso(d.createdAtMs),
      })),
      next_after: letters.length === page.limit ? letters[letters.length - 1]!.id : null,
    };
  }

  /** Sends the connection's dead letters (all, or those of `ids`) again, each once, in order. */
  async replayDeadLetters(ws: WorkspaceId, id: number, body: unknown) {
    const c = this.findConnection(ws, id);
    let ids: number[] | undefined;
    if (body !== undefined && body !== null) {
      if (!isBag(body)) throw invalid(['body: send {} to replay every dead letter, or {"ids": [...]}']);
      const unknownFields = Object.keys(body).filter((k) => k !== 'ids');
      if (unknownFields.length > 0) throw invalid(unknownFields.map((k) => `${k}: not a field; send {} or {"ids": [...]}`));
      if (body.ids !== undefined) {
        if (!Array.isArray(body.ids) || !body.ids.every((v) => Number.isSafeInteger(v) && (v as number) > 0)) throw invalid(['ids: must be a list of dead letter ids']);
        ids = body.ids as number[];
      }
    }
    const letters = await this.delivery.deadLettersById(id, ids);
    if (ids) {
      const found = new Set(letters.map((d) => d.id));
      const missing = ids.filter((i) => !found.has(i));
      if (missing.length > 0) throw invalid(missing.map((i) => `ids: ${i} is not a dead letter of connection ${id}`));
    }
    const result = await this.deps.replay(c, this.findOutput(ws, c.outputId), letters);
    return { replayed: letters.length, ...result };
  }

  rules(ws: WorkspaceId) {
    return this.store.rules(ws).map((r) => this.ruleView(r));
  }

  rule(ws: WorkspaceId, id: number) {
    return this.ruleView(this.findRule(ws, id));
  }

  async createRule(ws: WorkspaceId, body: unknown) {
    return this.writes.run(ws, async () => {
      const rule = await this.parseRuleBody(body);
      const created = this.store.createRule(ws, rule, this.now());
      this.deps.onChanged();
      return this.ruleView(created);
    });
  }

  async updateRule(ws: WorkspaceId, id: number, body: unknown) {
    return this.writes.run(ws, async () => {
      this.findRule(ws, id);
      const rule = await this.parseRuleBody(body);
      const updated = this.store.updateRule(ws, id, rule, this.now());
      this.deps.onChanged();
      return this.ruleView(updated!);
    });
  }

  async deleteRule(ws: WorkspaceId, id: number): Promise<void> {
    return this.writes.run(ws, async () => {
      this.findRule(ws, id);
      const users = this.store.connections(ws).filter((c) => c.rules.includes(id)).map((c) => c.id);
      if (users.length > 0) throw new ConnectionsInUse(`Rule ${id}`, users);
      this.store.deleteRule(ws, id);
      this.deps.onChanged();
    });
  }

  private ruleView(r: RuleRecord) {
    const status = this.deps.ruleStatus(r.id);
    return {
      id: r.id,
      name: r.name,
      code: r.code,
      failure_action: r.failureAction,
      timeout_ms: r.timeoutMs,
      scope: r.scope,
      status: status.errors + status.timeouts > 0 && status.last_errors.length > 0 ? 'failing' : 'ok',
      ...status,
      created_at: iso(r.createdAtMs),
      updated_at: iso(r.updatedAtMs),
    };
  }

  private async parseRuleBody(body: unknown) {
    // The fields here; the code in the sandbox process, where a rule that brings V8 down at load harms nothing.
    const parsed = parseRule(body, null);
    const code = isBag(body) && typeof body.code === 'string' && body.code.trim() !== '' ? body.code : undefined;
    const problem = code && (await this.deps.checkRuleCode(code, parsed.ok ? parsed.value.timeout_ms : RULE_TIMEOUT_MS.default));
    const problems = [...(parsed.ok ? [] : parsed.problems), ...(problem ? [`code: ${problem}`] : [])];
    if (!parsed.ok || problems.length > 0) throw invalid(problems);
    const { name, failure_action, timeout_ms, scope } = parsed.value;
    return { name, code: parsed.value.code, failureAction: failure_action, timeoutMs: timeout_ms, scope };
  }


  private findOutput(ws: WorkspaceId, id: number): OutputRecord {
    const o = this.store.output(ws, id);
    if (!o) throw new OutputNotFound(ws, id);
    return o;
  }

  private findConnection(ws: WorkspaceId, id: number): ConnectionRecord {
    const c = this.store.connection(ws, id);
    if (!c) throw new ConnectionNotFound(ws, id);
    return c;
  }

  private findRule(ws: WorkspaceId, id: number): RuleRecord {
    const r = this.store.rule(ws, id);
    if (!r) throw new RuleNotFound(ws, id);
    return r;
  }

  private parseOutput(body: unknown, current: OutputRecord | undefined) {
    if (!isBag(body)) throw invalid(['body: send {"name", "kind", "settings"}']);
    const problems: Problem[] = [];
    const { name } = body;
    if (typeof name !== 'string' || name.trim() === '') problems.push('name: required, a name for the output');
    else if (name.length > 100) problems.push('name: at most 100 characters');
    let kind: OutputKind | undefined;
    if (current) {
      kind = this.kinds.get(current.kind);
      if (body.kind !== undefined && body.kind !== current.kind) problems.push(`kind: an output's kind cannot change (it is "${current.kind}"); create another output`);
    } else if (typeof body.kind !== 'string') problems.push(`kind: required, one of ${[...this.kinds.keys()].join(', ')}`);
    else {
      kind = this.kinds.get(body.kind);
      if (!kind) problems.push(`kind: "${body.kind}" is not an output kind; the kinds are ${[...this.kinds.keys()].join(', ')} (GET /v1/services)`);
    }
    const settings = kind && parseSettings(kind, body.settings, current?.settings);
    if (settings && !settings.ok) problems.push(...settings.problems);
    if (problems.length > 0 || !kind || !settings?.ok) throw invalid(problems);
    return { name: (name as string).trim(), kind, settings: settings.value };
  }
}
