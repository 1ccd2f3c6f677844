import type { Batch } from '../model/batch.ts';
import type { RuleStatus } from './connection-service.ts';
import type { ConnectionRecord, RuleRecord } from './connection-store.ts';
import { applyRules, type OpenRule } from './rules/apply-rules.ts';
import { type HostedRule, RuleHost } from './rules/rule-host.ts';
import type { RuleResult } from './rules/rule-runner.ts';
import { RuleStats } from './rules/rule-stats.ts';
import type { StreamBatch } from './stream-batch.ts';

/** A rule's counters that also tell each run's outcome to the metrics. */
class CountedStats extends RuleStats {
  constructor(
    private readonly rule: number,
    private readonly counted: (rule: number, outcome: string) => void,
  ) {
    super();
  }

  override record(result: RuleResult): void {
    super.record(result);
    this.counted(this.rule, result.kind === 'failed' ? result.reason : result.kind);
  }
}

/**
 * The JavaScript rules of the app thread's deliveries: each rule version opened once in the
 * rules' sandbox process (on first use, shared by the connections that name it), and one set of counters per rule
 * that outlives its versions, for `GET .../rules/{id}`.
 */
export class ConnectionRules {
  private readonly stats = new Map<number, RuleStats>();

  /** `counted` hears every run's outcome, by rule (the metrics). */
  constructor(private readonly counted: (rule: number, outcome: string) => void = () => undefined) {}

  private readonly runners = new Map<number, { updatedAtMs: number; rule: HostedRule }>();
  /** The rules run in a sandbox process of their own (a rule that crashes V8 crashes only it). */
  readonly host = new RuleHost();

  /** The rules a connection runs, in order: the workspace's `all_outputs` rules, then those it names. */
  of(workspaceRules: readonly RuleRecord[], c: ConnectionRecord): RuleRecord[] {
    const byId = new Map(workspaceRules.map((r) => [r.id, r]));
    const all = workspaceRules.filter((r) => r.scope === 'all_outputs');
    const named = c.rules.map((id) => byId.get(id)).filter((r): r is RuleRecord => r !== undefined && r.scope !== 'all_outputs');
    return [...all, ...named];
  }

  /** Runs the rules on a batch (undefined when there are none). */
  runnerOf(rules: readonly RuleRecord[], c: ConnectionRecord): ((batch: Batch, from: StreamBatch) => Promise<Batch | null>) | undefined {
    if (rules.length === 0) return undefined;
    return async (batch, from) => {
      const open = rules.map((r) => this.open(r));
      return applyRules(batch, open, { connection_id: c.id, workspace_id: c.workspaceId, mpid: from.mpid, input_id: from.inputId });
    };
  }

  status(id: number): RuleStatus {
    const s = this.stats.get(id)?.snapshot();
    return s ? { runs: s.runs, errors: s.errors, timeouts: s.timeouts, dropped: s.dropped, last_errors: [...s.last_errors] } : { runs: 0, errors: 0, timeouts: 0, dropped: 0, last_errors: [] };
  }

  async close(): Promise<void> {
    this.runners.clear();
    await this.host.close();
  }

  private open(r: RuleRecord): OpenRule {
    let entry = this.runners.get(r.id);
    if (!entry || entry.updatedAtMs !== r.updatedAtMs) {
      if (entry) void entry.rule.close();
      entry = { updatedAtMs: r.updatedAtMs, rule: this.host.open(`${r.id}@${r.updatedAtMs}`, r.code, r.timeoutMs) };
      this.runners.set(r.id, entry);
    }
    let stats = this.stats.get(r.id);
    if (!stats) this.stats.set(r.id, (stats = new CountedStats(r.id, this.counted)));
    const definition = { name: r.name, code: r.code, failure_action: r.failureAction, timeout_ms: r.timeoutMs, scope: r.scope };
    return { definition, runner: entry.rule, stats };
  }
}
