import type { InputId, WorkspaceId } from '../kernel/ids.ts';

/** The id of the plan an input's batches are checked against when they name none; undefined for none. */
export type BuiltInPlanSource = (ws: WorkspaceId, inputId: InputId) => string | undefined;

/**
 * The plans batches naming no data plan are checked against, by where they came from: other
 * capabilities add their sources (a partner feed's contract, for the feed's inputs). Such a plan
 * reports and never blocks: see the data-plan stage.
 *
 * @example
 *   builtIn.add((ws, input) => (isCleverTap(input) ? 'clevertap_feed' : undefined));
 *   builtIn.planIdOf(record.workspaceId, record.inputId);
 */
export class BuiltInPlans {
  private readonly sources: BuiltInPlanSource[] = [];

  add(source: BuiltInPlanSource): void {
    this.sources.push(source);
  }

  /** The first source's plan for the input, if any. */
  planIdOf(ws: WorkspaceId, inputId: InputId): string | undefined {
    for (const source of this.sources) {
      const planId = source(ws, inputId);
      if (planId !== undefined) return planId;
    }
    return undefined;
  }
}
