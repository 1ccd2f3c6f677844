import { parentPort } from 'node:worker_threads';
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
    try {
      // Plain JSON.parse: only MPIDs need the lossless parse, and no data point validates one.
      const { batch } = JSON.parse(text) as Envelope;
      return findingsOf(compiled, batch);
    } catch {
      // The caller validates this one in place, where a failure is reported with its record.
      return null;
    }
  });
  const reply: ValidationReply = { id: request.id, findings };
  parentPort?.postMessage(reply);
});
