import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type LatencySummary, summarize } from './stats.ts';

/**
 * A closed-loop HTTP load generator on `node:http`: `connections` workers share a keep-alive
 * agent with as many sockets, and each sends its next request as soon as the previous one is
 * answered. Requests started during the warm-up are sent but not counted.
 */
export interface LoadOptions {
  port: number;
  path: string;
  headers: Record<string, string>;
  connections: number;
  durationMs: number;
  warmupMs: number;
  /** Stop after sending this many requests, even before the duration is over. */
  maxRequests?: number;
  /** A fresh body per request. */
  nextBody: () => Buffer;
  /** Events in each body, counted for every request answered with `okStatus`. */
  eventsPerRequest: number;
  okStatus: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** After the duration, in-flight requests get this long before their sockets are destroyed. */
  graceMs?: number;
}

export interface LoadResult {
  /** Seconds from the end of the warm-up to the last counted answer. */
  elapsedS: number;
  requests: number;
  ok: number;
  /** `okStatus` answers to warm-up requests (not in any other figure). */
  warmupOk: number;
  notOk: number;
  /** Network errors and timeouts. */
  errors: number;
  statuses: Record<string, number>;
  /** Up to 3 bodies of answers other than `okStatus`, and error messages. */
  samples: string[];
  events: number;
  requestsPerS: number;
  eventsPerS: number;
  /** Latency of the `okStatus` answers. */
  latency: LatencySummary;
}

interface Answer {
  status: number;
  body?: string;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections, maxFreeSockets: o.connections });
  const timeoutMs = o.timeoutMs ?? 30_000;
  const start = performance.now();
  const measureFrom = start + o.warmupMs;
  const end = measureFrom + o.durationMs;
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  let requests = 0;
  let ok = 0;
  let warmupOk = 0;
  let errors = 0;
  let lastAnswer = measureFrom;
  let sent = 0;
  const maxRequests = o.maxRequests ?? Infinity;

  const send = (body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: o.port,
          path: o.path,
          method: 'POST',
          agent,
          headers: { ...o.headers, 'content-length': String(body.length) },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status === o.okStatus) {
            res.resume();
            res.on('end', () => resolve({ status }));
          } else {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8').slice(0, 500) }));
          }
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.end(body);
    });

  const worker = async () => {
    while (performance.now() < end && sent++ < maxRequests) {
      const body = o.nextBody();
      const t0 = performance.now();
      const counted = t0 >= measureFrom;
      try {
        const answer = await send(body);
        const t1 = performance.now();
        if (!counted) {
          if (answer.status === o.okStatus) warmupOk++;
          continue;
        }
        requests++;
        lastAnswer = Math.max(lastAnswer, t1);
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        if (answer.status === o.okStatus) {
          ok++;
          latencies.push(t1 - t0);
        } else if (samples.length < 3) {
          samples.push(`HTTP ${answer.status}: ${answer.body ?? ''}`);
        }
      } catch (error) {
        if (counted) {
          requests++;
          errors++;
          lastAnswer = Math.max(lastAnswer, performance.now());
          if (samples.length < 3) samples.push(`error: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };

  const grace = setTimeout(() => agent.destroy(), o.warmupMs + o.durationMs + (o.graceMs ?? 15_000));
  try {
    await Promise.all(Array.from({ length: o.connections }, worker));
  } finally {
    clearTimeout(grace);
    agent.destroy();
  }
  const elapsedS = Math.max(lastAnswer - measureFrom, 1) / 1000;
  const events = ok * o.eventsPerRequest;
  return {
    elapsedS,
    requests,
    ok,
    warmupOk,
    notOk: requests - ok - errors,
    errors,
    statuses,
    samples,
    events,
    requestsPerS: ok / elapsedS,
    eventsPerS: events / elapsedS,
    latency: summarize(latencies),
  };
}
