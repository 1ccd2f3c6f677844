import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A webhook receiver of the outputs benchmark: counts the distinct batches it accepted. */
export interface BenchReceiver {
  readonly url: string;
  /** Distinct batches accepted (a retried or resent one counts once). */
  accepted(): number;
  /** Requests answered, refused ones included. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A local webhook receiver in the benchmark's process: it reads each body, answers 200 (or, when
 * `failHalf`, 503 to every other request) and counts the batches of each key it accepted once
 * (a retried request is not counted again). A body is a JSON array of batches; they are counted by
 * their `"mpid":` keys rather than parsed: the receiver is the partner, not what is measured.
 */
export async function startBenchReceiver(failHalf = false): Promise<BenchReceiver> {
  const keys = new Set<string>();
  let batches = 0;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests += 1;
      if (failHalf && requests % 2 === 0) {
        res.writeHead(503).end();
        return;
      }
      const key = req.headers['x-quanta-idempotency-key'];
      if (typeof key === 'string' && !keys.has(key)) {
        keys.add(key);
        batches += Buffer.concat(chunks).toString('latin1').split('"mpid":').length - 1;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    accepted: () => batches,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
