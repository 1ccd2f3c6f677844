import type { Batch } from '../../model/batch.ts';
import type { FailureAction, RuleDefinition } from './rule-definition.ts';
import type { RuleResult } from './rule-runner.ts';
import type { RuleStats } from './rule-stats.ts';

/** A rule ready to run: its definition (for its failure action), its runner and its counters. */
export interface OpenRule {
  readonly definition: RuleDefinition;
  /** A `RuleRunner`, or a rule open in the sandbox process (`RuleHost`). */
  readonly runner: { run(batch: Batch, context: object): Promise<RuleResult>; close(): Promise<void> };
  readonly stats: RuleStats;
}

/**
 * Runs the rules on a batch in the order given (a connection's: the workspace's `all_outputs`
 * rules first, then the connection's own, as mParticle applies them), each on the batch the one
 * before it answered, and records each run in its stats. A rule answering null drops the batch
 * and the rules after it do not run. A rule that fails takes its failure action: `proceed` hands
 * on the batch it was given, `discard` drops the batch. The batch given is never changed.
 *
 * @example
 * const out = await applyRules(stream.batch, rules, {});
 * if (out === null) return; // dropped by a rule
 */
export async function applyRules(batch: Batch, rules: readonly OpenRule[], context: object): Promise<Batch | null> {
  let current = batch;
  for (const { definition, runner, stats } of rules) {
    const result = await runner.run(current, context);
    stats.record(result);
    switch (result.kind) {
      case 'ok':
        current = result.batch;
        break;
      case 'dropped':
        return null;
      case 'failed':
        if (discards(definition.failure_action)) return null;
        break;
      default: {
        const never: never = result;
        throw new Error(`unknown rule result ${JSON.stringify(never)}`);
      }
    }
  }
  return current;
}

function discards(action: FailureAction): boolean {
  switch (action) {
    case 'proceed':
      return false;
    case 'discard':
      return true;
    default: {
      const never: never = action;
      throw new Error(`unknown failure action ${JSON.stringify(never)}`);
    }
  }
}
