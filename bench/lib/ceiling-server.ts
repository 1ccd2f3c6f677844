import { createServer } from 'node:http';

/**
 * The ceiling: the least an ingest server must do. Reads the whole body, `JSON.parse`s it and
 * answers 202 (400 if it is not JSON). Started as a child process by bench/ingest.ts; prints
 * `ready <port>` once listening on 127.0.0.1:$PORT (0 picks a port).
 */
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.statusCode = 202;
    } catch {
      res.statusCode = 400;
    }
    res.end();
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`ready ${typeof address === 'object' && address ? address.port : ''}`);
});
process.on('SIGTERM', () => process.exit(0));
