import { parentPort } from 'node:worker_threads';
import { parseJsonLossless } from '../kernel/lossless-json.ts';
import type { Envelope } from '../model/envelope.ts';
import { type CompiledPlan, compilePlanVersion } from './plan-compiler.ts';
import { findingsOf } from './validate.ts';
import type { ValidationReply, ValidationRequest } from './validation-worker.ts';

/** The plan validation worker: compiles the plan versions it is sent, and finds what each logged batch breaks. */
const plans = new Map<number, CompiledPlan | null>();

parentPort?.on('message', (request: ValidationRequest) => {
  for (const { id, document } of request.plans) {
    try {
      plans.set(id, compilePlanVersion(document));
    } catch {
      plans.set(id, null);
    }
  }
  const findings = request.items.map(({ text, plan }) => {
    const compiled = plans.get(plan);
    if (!compiled) return null;
    const { batch } = parseJsonLossless(text) as Envelope;
    return findingsOf(compiled, batch);
  });
  const reply: ValidationReply = { id: request.id, findings };
  parentPort?.postMessage(reply);
});
