import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface Received {
  readonly atMs: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * How the receiver answers a request: a status (with headers), `hang` (never answers: the
 * sender's timeout), or `reset` (closes the connection).
 */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang' | 'reset';

/**
 * A partner's API on localhost, for delivery tests: it records every request and answers as
 * `respond` says (200 by default), so a test can make it flaky, slow, throttling or down; `port`
 * starts it again where a closed one was (a receiver back after an outage).
 */
export async function startReceiver(respond: (request: Received, index: number) => Answer = () => ({ status: 200 }), port = 0) {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let answer = respond;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: Received = { atMs: Date.now(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const index = received.push(request) - 1;
      const a = answer(request, index);
      if (a === 'hang') {
        hanging.add(res);
        return;
      }
      if (a === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body ?? '{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    /** Answers from now on as `next` says. */
    answerWith(next: (request: Received, index: number) => Answer) {
      answer = next;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Polls `check` until it holds (or throws after `timeoutMs`, naming `what`). */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
