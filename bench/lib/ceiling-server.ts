import { createServer } from 'node:http';

/**
 * The ceiling: the least a server must do. Reads the whole body, `JSON.parse`s it and answers
 * `$CEILING_STATUS` (default 202) with `$CEILING_BODY` (default: no body; sent as
 * `application/json`), or 400 if it is not JSON. Started as a child process by the benchmarks;
 * prints `ready <port>` once listening on 127.0.0.1:$PORT (0 picks a port).
 */
const status = Number(process.env.CEILING_STATUS ?? 202);
const answer = process.env.CEILING_BODY ? Buffer.from(process.env.CEILING_BODY, 'utf8') : undefined;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.statusCode = 400;
      res.end();
      return;
    }
    res.statusCode = status;
    if (answer) {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.setHeader('content-length', answer.length);
      res.end(answer);
    } else {
      res.end();
    }
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  console.log(`ready ${typeof address === 'object' && address ? address.port : ''}`);
});
process.on('SIGTERM', () => process.exit(0));
