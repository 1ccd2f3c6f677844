import { Worker } from 'node:worker_threads';
import type { Finding } from './blocking.ts';
import type { EnforcedPlan } from './plan-registry.ts';

export interface ValidationRequest {
  id: number;
  /** Plan versions the worker has not been sent yet, by the id items name them with. */
  plans: { id: number; document: unknown }[];
  /** Logged envelopes (their JSON text) and the plan version to validate each batch against. */
  items: { text: string; plan: number }[];
}

export interface ValidationReply {
  id: number;
  /** Per item: what its batch breaks, or null when the worker could not tell (the plan version did not compile, the text did not parse...). */
  findings: (Finding[] | null)[];
}

/**
 * Validates logged batches against plan versions on a worker thread, so the event loop that
 * answers requests does not run the JSON Schemas. The worker parses each envelope's log text
 * itself and answers {@link findingsOf}'s findings, which are plain data; the caller applies the
 * plan's validation actions to its own copy of the batch. Each plan version is sent (and
 * compiled there) once per {@link EnforcedPlan}: the registry makes a new one when a version
 * changes.
 */
export class ValidationWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: ValidationReply) => void; reject: (e: unknown) => void }>();
  private readonly planIds = new WeakMap<EnforcedPlan, number>();
  private nextRequest = 1;
  private nextPlan = 1;
  private failure: unknown;

  constructor() {
    this.worker = new Worker(new URL('./validation-worker.mjs', import.meta.url));
    // The processor owns no shutdown hook for it; an idle worker must not keep Quanta alive.
    this.worker.unref();
    this.worker.on('message', (reply: ValidationReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply);
    });
    const fail = (error: unknown) => {
      this.failure ??= error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the plan validation worker exited (code ${code})`)));
  }

  /** Whether the worker can take work (it never recovers from an error; callers validate in place). */
  get usable(): boolean {
    return this.failure === undefined;
  }

  /** Each item's findings, in order (null where the worker could not tell). */
  async findings(items: readonly { text: string; plan: EnforcedPlan }[]): Promise<(Finding[] | null)[]> {
    if (this.failure !== undefined) throw this.failure;
    const plans: ValidationRequest['plans'] = [];
    const sent = items.map(({ text, plan }) => {
      let id = this.planIds.get(plan);
      if (id === undefined) {
        id = this.nextPlan++;
        this.planIds.set(plan, id);
        plans.push({ id, document: plan.stored.version_document });
      }
      return { text, plan: id };
    });
    const request: ValidationRequest = { id: this.nextRequest++, plans, items: sent };
    const reply = await new Promise<ValidationReply>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request);
    }).finally(() => {
      if (this.pending.size === 0) this.worker.unref();
    });
    return reply.findings;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
