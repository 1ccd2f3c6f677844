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

/**
 * POSTs one request with its idempotency key, and classifies the outcome once: a 2xx is done;
 * 408, 429, 5xx, a timeout and a network error throw a `retry` {@link DeliveryFailed} (with the
 * receiver's `Retry-After`); any other status throws a `permanent` one, with the start of the
 * receiver's answer so the connection's last error says why.
 */
export async function sendHttp(request: HttpRequest, idempotencyKey: string, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...request.headers, [IDEMPOTENCY_HEADER]: idempotencyKey },
      body: request.body,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new DeliveryFailed(timedOut ? `no answer from ${request.url} within ${timeoutMs} ms` : `${request.url} could not be reached: ${cause}`, 'retry');
  }
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  const text = (await response.text().catch(() => '')).slice(0, 300);
  const message = `${request.url} answered ${response.status}${text ? `: ${text}` : ''}`;
  if (isRetryableStatus(response.status)) throw new DeliveryFailed(message, 'retry', retryAfterMs(response.headers.get('retry-after')), response.status);
  throw new DeliveryFailed(message, 'permanent', undefined, response.status);
}
