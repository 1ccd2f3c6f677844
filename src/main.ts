import { createServer as createHttpsServer } from 'node:https';
import { pathToFileURL } from 'node:url';
import { pino, type Logger } from 'pino';
import { CAPABILITIES } from './capabilities.ts';
import { type Config, ConfigError, loadConfig } from './config/config.ts';
import type { ProcessorThreadData } from './processor-main.ts';
import { createQuanta as createRuntime, type Quanta } from './runtime/app-runtime.ts';
import { loadTls } from './server/tls.ts';
import { openStorage } from './storage/engines.ts';

export type { Quanta };

/**
 * The composition root: Quanta's capabilities (src/capabilities.ts) on the embedded engines
 * (storage/engines.ts), with the processor on its own thread (`processor-main.ts`). The app is
 * built, not yet listening.
 */
export function createQuanta(config: Readonly<Config>, logger: Logger): Promise<Quanta> {
  const workerData: ProcessorThreadData = { config };
  return createRuntime(config, logger, {
    capabilities: CAPABILITIES,
    storage: openStorage(config, 'app'),
    processor: { entry: new URL('./processor-main.mjs', import.meta.url), workerData },
  });
}

/** Starts Quanta on the configured listeners and prints where it is and how to reach it. */
export async function startQuanta(config: Readonly<Config>): Promise<Quanta> {
  const logger = pino({ level: config.logLevel, base: { service: 'quanta' } });
  const quanta = await createQuanta(config, logger);
  const { app } = quanta;
  const b = quanta.use('bootstrapped');
  const tls = await loadTls(config.tls, config.dataDir);
  const httpsServer = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, (req, res) => app.routing(req, res)) : undefined;
  let httpsClosed = Promise.resolve();
  app.addHook('preClose', async () => {
    if (httpsServer) {
      httpsClosed = new Promise((resolve) => httpsServer.close(() => resolve()));
      httpsServer.closeIdleConnections();
    }
    // Clients that keep a connection open past this are cut off, so shutdown always ends.
    setTimeout(() => {
      app.server.closeAllConnections();
      httpsServer?.closeAllConnections();
    }, 10_000).unref();
  });
  app.addHook('onClose', async () => {
    await httpsClosed;
  });
  const url = await app.listen({ host: config.host, port: config.port });
  let tlsUrl: string | undefined;
  if (httpsServer && tls) {
    await new Promise<void>((resolve, reject) => {
      httpsServer.once('error', reject);
      httpsServer.listen(tls.port, config.host, resolve);
    });
    const address = httpsServer.address();
    tlsUrl = `https://${config.host}:${typeof address === 'object' && address ? address.port : tls.port}`;
  }
  const shown = (key: string, value: string) => `${value}${b.generated.includes(key) ? '   (generated now, stored)' : ''}`;
  console.log(
    [
      '',
      'Quanta is running',
      `  HTTP       ${url}`,
      ...(tlsUrl ? [`  HTTPS      ${tlsUrl}   (certificate: ${tls!.source})`] : []),
      `  Data dir   ${config.dataDir}`,
      `  Workspace  org ${b.tenant.orgId} / account ${b.tenant.accountId} / workspace ${b.tenant.workspaceId}, IDSync strategy ${b.identityStrategy}`,
      `  API key    ${shown('api_key', b.input.apiKey)}`,
      `  API secret ${shown('api_secret', b.input.apiSecret)}`,
      `  Client id  ${shown('client_id', b.client.clientId)}`,
      `  Client secret ${shown('client_secret', b.client.clientSecret)}`,
      `  Try: curl -u "${b.input.apiKey}:${b.input.apiSecret}" -H 'content-type: application/json' \\`,
      `         -d '{"events":[{"event_type":"custom_event","data":{"event_name":"Hello"}}]}' ${url}/v2/events`,
      `  Docs: ${url}/openapi.json   Metrics: ${url}/metrics   Health: ${url}/healthz`,
      '',
    ].join('\n'),
  );
  return quanta;
}

async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Quanta cannot start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const quanta = await startQuanta(config);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    quanta.app.log.info({ signal }, 'shutting down');
    await quanta.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error('Quanta failed to start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
