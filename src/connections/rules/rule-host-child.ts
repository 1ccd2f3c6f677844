import type { Batch } from '../../model/batch.ts';
import { checkInProcess } from './rule-definition.ts';
import { type RuleResult, RuleRunner } from './rule-runner.ts';
import { DEFAULT_MEMORY_LIMIT_MB } from './rule-sandbox.ts';

/** What the host asks of this process (see rule-host.ts). */
export type HostRequest =
  | { id: number; op: 'open'; rule: string; code: string; timeoutMs: number; memoryLimitMb?: number }
  | { id: number; op: 'run'; rule: string; batch: string; context: string }
  | { id: number; op: 'close'; rule: string }
  | { id: number; op: 'check'; code: string; timeoutMs: number };

export type HostReply = { id: number; ok: true; result?: RuleResult; problem?: string } | { id: number; ok: false; message: string };

// The rules' sandbox process: the isolates live here, so a rule that brings V8 down (some
// allocations without end abort the whole process instead of stopping at the isolate's memory
// limit) takes only this process with it; the host starts another.
const runners = new Map<string, RuleRunner>();

async function answer(request: HostRequest): Promise<HostReply> {
  switch (request.op) {
    case 'open': {
      await runners.get(request.rule)?.close();
      runners.set(request.rule, await RuleRunner.open({ code: request.code, timeoutMs: request.timeoutMs, memoryLimitMb: request.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB }));
      return { id: request.id, ok: true };
    }
    case 'run': {
      const runner = runners.get(request.rule);
      if (!runner) return { id: request.id, ok: false, message: `rule ${request.rule} is not open in the sandbox process` };
      return { id: request.id, ok: true, result: await runner.run(JSON.parse(request.batch) as Batch, JSON.parse(request.context) as object) };
    }
    case 'close': {
      await runners.get(request.rule)?.close();
      runners.delete(request.rule);
      return { id: request.id, ok: true };
    }
    case 'check': {
      const problem = checkInProcess(request.code, request.timeoutMs);
      return { id: request.id, ok: true, ...(problem === undefined ? {} : { problem }) };
    }
  }
}

process.on('message', (request: HostRequest) => {
  answer(request).then(
    (reply) => process.send!(reply),
    (error: unknown) => process.send!({ id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
