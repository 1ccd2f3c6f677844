import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { DeliveryFailed } from './output.ts';

/** An HTTP request an output builds. */
export interface HttpRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const IDEMPOTENCY_HEADER = 'X-Quanta-Idempotency-Key';

/** `Retry-After` in ms: seconds, or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** Whether an answer's status is worth trying again: 408, 429 and every 5xx. */
export const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

// Connections reuse their sockets: a request on a kept-alive socket costs a fraction of a new one.
const AGENTS = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };

interface Answer {
  status: number;
  retryAfter: string | null;
  /** The start of the body, read only for a failure. */
  text: string;
}

/** One POST on node:http (cheaper per request than fetch), resolving with the status once the answer is read. */
function post(request: HttpRequest, idempotencyKey: string, timeoutMs: number): Promise<Answer> {
  const url = new URL(request.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const agent = AGENTS[url.protocol as keyof typeof AGENTS];
  const body = Buffer.from(request.body);
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', ...request.headers, 'content-length': body.length, [IDEMPOTENCY_HEADER]: idempotencyKey },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const retryAfter = (res.headers['retry-after'] as string | undefined) ?? null;
        if (status >= 200 && status < 300) {
          res.resume();
          res.on('end', () => resolve({ status, retryAfter, text: '' }));
          res.on('error', reject);
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 300) text += chunk;
        });
        res.on('end', () => resolve({ status, retryAfter, text: text.slice(0, 300) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * POSTs one request with its idempotency key, and classifies the outcome once: a 2xx is done;
 * 408, 429, 5xx, a timeout and a network error throw a `retry` {@link DeliveryFailed} (with the
 * receiver's `Retry-After`); any other status throws a `permanent` one, with the start of the
 * receiver's answer so the connection's last error says why.
 */
export async function sendHttp(request: HttpRequest, idempotencyKey: string, timeoutMs: number): Promise<void> {
  let answer: Answer;
  try {
    answer = await post(request, idempotencyKey, timeoutMs);
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    const cause = error instanceof Error ? error.message : String(error);
    throw new DeliveryFailed(timedOut ? `no answer from ${request.url} within ${timeoutMs} ms` : `${request.url} could not be reached: ${cause}`, 'retry');
  }
  if (answer.status >= 200 && answer.status < 300) return;
  const message = `${request.url} answered ${answer.status}${answer.text ? `: ${answer.text}` : ''}`;
  if (isRetryableStatus(answer.status)) throw new DeliveryFailed(message, 'retry', retryAfterMs(answer.retryAfter), answer.status);
  throw new DeliveryFailed(message, 'permanent', undefined, answer.status);
}
