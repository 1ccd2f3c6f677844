import type { FailureReason, RuleResult } from './rule-runner.ts';

/** One failure of a rule as its stats keep it. */
export interface RuleError {
  /** When it failed, ISO 8601. */
  readonly at: string;
  readonly message: string;
}

/** A rule's counters since it was opened, as its stats route shows them. */
export interface RuleStatsSnapshot {
  readonly runs: number;
  /** Failures other than timeouts: thrown errors, answers that are not a batch, the memory limit. */
  readonly errors: number;
  readonly timeouts: number;
  /** Batches the rule itself dropped (answered null); a failure's `discard` is counted as a failure. */
  readonly dropped: number;
  /** The newest failures, newest last, timeouts included. */
  readonly last_errors: readonly RuleError[];
}

/** How many failures a snapshot lists. */
export const LAST_ERRORS = 10;

/**
 * One rule's counters, in memory (mParticle shows a rule's invocations and errors): every run is
 * recorded, and the last {@link LAST_ERRORS} failures are kept with their time and message.
 *
 * @example
 * const stats = new RuleStats();
 * stats.record(await runner.run(batch, {}));
 * stats.snapshot(); // { runs: 1, errors: 0, timeouts: 0, dropped: 0, last_errors: [] }
 */
export class RuleStats {
  private runs = 0;
  private errors = 0;
  private timeouts = 0;
  private dropped = 0;
  private readonly lastErrors: RuleError[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  record(result: RuleResult): void {
    this.runs++;
    switch (result.kind) {
      case 'ok':
        return;
      case 'dropped':
        this.dropped++;
        return;
      case 'failed':
        if (result.reason === 'timeout') this.timeouts++;
        else this.errors++;
        this.lastErrors.push({ at: new Date(this.now()).toISOString(), message: messageOf(result.reason, result.message) });
        if (this.lastErrors.length > LAST_ERRORS) this.lastErrors.shift();
        return;
      default: {
        const never: never = result;
        throw new Error(`unknown rule result ${JSON.stringify(never)}`);
      }
    }
  }

  snapshot(): RuleStatsSnapshot {
    return { runs: this.runs, errors: this.errors, timeouts: this.timeouts, dropped: this.dropped, last_errors: [...this.lastErrors] };
  }
}

function messageOf(reason: FailureReason, message: string): string {
  return reason === 'error' ? message : `${reason}: ${message}`;
}
