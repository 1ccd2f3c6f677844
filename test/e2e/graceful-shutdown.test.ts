import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Exit, makeDataDir, type QuantaProcess, removeDataDir, startQuanta, withinMs } from '../helpers/quanta-process.ts';
import { readLog } from '../helpers/stores.ts';

/**
 * SIGTERM while a request is in flight, sent by Node's own `fetch` (undici, keep-alive): the
 * request is answered and durable, and the process exits soon after.
 *
 * The request body is streamed in two parts around the SIGTERM, so the request is in flight
 * when the signal arrives.
 */

/** A graceful exit takes well under a second; this allows for a very loaded machine. */
const PROMPT_EXIT_MS = 15_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('graceful shutdown: SIGTERM with a request in flight', () => {
  let dataDir: string | undefined;
  let quanta: QuantaProcess | undefined;
  let status = 0;
  let connectionHeader: string | null = null;
  let exit: Exit | 'still running' = 'still running';

  beforeAll(async () => {
    dataDir = makeDataDir('quanta-shutdown-');
    quanta = await startQuanta({ dataDir });
    const text = new TextEncoder().encode(
      JSON.stringify({
        source_request_id: 'in-flight-at-sigterm',
        user_identities: { customer_id: 'shutdown-1' },
        events: [{ event_type: 'custom_event', data: { event_name: 'In Flight' } }],
      }),
    );
    let body!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        body = controller;
      },
    });
    const pending = fetch(`${quanta.url}/v2/events`, {
      method: 'POST',
      headers: { authorization: quanta.authorization, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
      signal: AbortSignal.timeout(60_000),
    } as RequestInit);
    body.enqueue(text.subarray(0, 16));
    await sleep(1_000); // the request's headers and first bytes reach Quanta
    quanta.child.kill('SIGTERM');
    await sleep(300);
    body.enqueue(text.subarray(16));
    body.close();
    const res = await pending;
    status = res.status;
    connectionHeader = res.headers.get('connection');
    await res.arrayBuffer();
    // The client keeps its keep-alive connection, as undici does by default.
    const result = await withinMs(quanta.exited, PROMPT_EXIT_MS);
    if (result === 'timeout') await quanta.kill('SIGKILL');
    else exit = result;
  }, 120_000);

  afterAll(async () => {
    await quanta?.kill('SIGKILL');
    removeDataDir(dataDir);
  });

  it('answers the in-flight request with a 202, and the batch is in the log', () => {
    expect(status).toBe(202);
    const srids = readLog(dataDir!).rows.map((r) => r.envelope.batch.source_request_id);
    expect(srids).toEqual(['in-flight-at-sigterm']);
  });

  // A response sent while the server closes must say `connection: close`; with keep-alive the
  // client would hold the socket and close() would wait out its keep-alive timeout (~70 s), long
  // past e.g. Docker's 10 s grace period.
  it(`exits within ${PROMPT_EXIT_MS / 1000} s of SIGTERM`, () => {
    expect(exit, `the in-flight response said connection: ${connectionHeader}`).toEqual({ code: 0, signal: null });
  });
});
