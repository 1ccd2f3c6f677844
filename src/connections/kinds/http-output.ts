import type { AudienceChange } from '../audience-change.ts';
import { type HttpRequest, sendHttp } from '../http-send.ts';
import type { Output, OutputOptions, Settings } from '../output.ts';
import type { StreamBatch } from '../stream-batch.ts';

/** Builds the HTTP requests that carry some batches to a partner (none: nothing to send). */
export type RequestBuilder = (batches: readonly StreamBatch[], settings: Settings) => HttpRequest[];
/** Builds the HTTP requests that carry audience membership changes to a partner. */
export type ChangeRequestBuilder = (changes: readonly AudienceChange[], settings: Settings) => HttpRequest[];

/** How an HTTP kind turns deliveries into requests. */
export interface HttpMapping {
  readonly maxBatches: number;
  readonly batches: RequestBuilder;
  readonly select?: Output['select'];
  /** For a kind that is also an audience output. */
  readonly changes?: { readonly max: number; readonly build: ChangeRequestBuilder };
}

/** Sends requests one after another: one carries the key as it is, several carry it with their index (`<key>-0`...), so a retry repeats every key. */
async function sendAll(requests: readonly HttpRequest[], key: string, timeoutMs: number): Promise<void> {
  for (const [i, request] of requests.entries()) await sendHttp(request, requests.length === 1 ? key : `${key}-${i}`, timeoutMs);
}

/** An output that sends the requests its mapping makes of each delivery. */
export function httpOutput(settings: Settings, options: OutputOptions, mapping: HttpMapping): Output {
  const { changes } = mapping;
  return {
    maxBatches: mapping.maxBatches,
    ...(mapping.select ? { select: mapping.select } : {}),
    deliver: (batches, key) => sendAll(mapping.batches(batches, settings), key, options.timeoutMs),
    ...(changes ? { maxChanges: changes.max, deliverChanges: (list: readonly AudienceChange[], key: string) => sendAll(changes.build(list, settings), key, options.timeoutMs) } : {}),
    async close() {},
  };
}
