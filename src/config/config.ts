import { resolve } from 'node:path';
import { STRATEGIES, type StrategyName } from '../model/identity-types.ts';

/** Quanta's configuration, parsed once from the environment and frozen. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  tls: { mode: 'off' } | { mode: 'self-signed'; port: number } | { mode: 'files'; port: number; cert: string; key: string };
  logLevel: string;
  bootstrap: {
    apiKey?: string;
    apiSecret?: string;
    clientId?: string;
    clientSecret?: string;
    rateLimitPerSecond: number;
    /** The bootstrap workspace's IDSync strategy; unset keeps the stored one (default: profile conversion). */
    identityStrategy?: StrategyName;
  };
  log: { partitions: number };
  /** DuckDB's worker threads for the event store (its loads of each processed chunk, and queries). */
  eventStore: { threads: number };
  /** Origins browsers may call the Web SDK, Identity and pixel routes from; `*` for any. */
  allowedOrigins: string[];
  /** How long an accepted alias request waits before it is applied. */
  aliasDelayMs: number;
  limits: { requestBytes: number; batchBytes: number; batchesPerBulk: number };
  /** Calculated attributes: how far back a definition may look, how many a workspace may have active, how often live states are written (ms; at most). */
  calculated: { retentionDays: number; maxActive: number; writeEveryMs: number };
  /** How often the audiences stage writes users' states, memberships and changes (ms; at most). */
  audiences: { writeEveryMs: number };
  /** Connections: how each delivers (see src/connections/ARCHITECTURE.md). */
  delivery: { retryBudgetMs: number; retryBaseMs: number; timeoutMs: number; retentionMs: number; concurrency: number; chunkSize: number };
  /** Where clients reach Quanta (no trailing slash): the absolute URLs Quanta hands out (DSR results, its certificate) start with it. */
  publicUrl: string;
  /** Data subject requests (src/privacy/): see the README's configuration table. */
  dsr: {
    /** `X-OpenDSR-Processor-Domain`, and the subject of the certificate that signs. */
    processorDomain: string;
    pollMs: number;
    /** The first wait after a failed run or callback try, doubled after each up to an hour. */
    retryBaseMs: number;
    callbackAttempts: number;
    callbackTimeoutMs: number;
    /** mParticle's limits per workspace; 0 turns one off. */
    requestsPerMinute: number;
    newRequestsPerDay: number;
  };
}

export class ConfigError extends Error {}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${raw} is not valid: use a whole number from ${min} to ${max}.`);
  }
  return n;
}

function text(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Reads Quanta's environment variables (the README's Configuration table). Throws `ConfigError` with a message that says
 * which variable is wrong and what to set instead.
 */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const tlsPort = int(env, 'QUANTA_TLS_PORT', 8443, 0, 65535);
  const cert = text(env, 'QUANTA_TLS_CERT');
  const key = text(env, 'QUANTA_TLS_KEY');
  const tlsMode = text(env, 'QUANTA_TLS');
  let tls: Config['tls'] = { mode: 'off' };
  if (cert || key) {
    if (!cert || !key) throw new ConfigError('Set both QUANTA_TLS_CERT and QUANTA_TLS_KEY (PEM file paths), or neither.');
    tls = { mode: 'files', port: tlsPort, cert: resolve(cert), key: resolve(key) };
  } else if (tlsMode === 'self-signed') {
    tls = { mode: 'self-signed', port: tlsPort };
  } else if (tlsMode !== undefined && tlsMode !== 'off') {
    throw new ConfigError(`QUANTA_TLS=${tlsMode} is not valid: use "self-signed", or set QUANTA_TLS_CERT and QUANTA_TLS_KEY.`);
  }
  const apiKey = text(env, 'QUANTA_API_KEY');
  const apiSecret = text(env, 'QUANTA_API_SECRET');
  if (Boolean(apiKey) !== Boolean(apiSecret)) {
    throw new ConfigError('Set both QUANTA_API_KEY and QUANTA_API_SECRET, or neither (they are then generated).');
  }
  const clientId = text(env, 'QUANTA_CLIENT_ID');
  const clientSecret = text(env, 'QUANTA_CLIENT_SECRET');
  if (Boolean(clientId) !== Boolean(clientSecret)) {
    throw new ConfigError('Set both QUANTA_CLIENT_ID and QUANTA_CLIENT_SECRET, or neither (they are then generated).');
  }
  const strategy = text(env, 'QUANTA_IDENTITY_STRATEGY');
  if (strategy !== undefined && !(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new ConfigError(`QUANTA_IDENTITY_STRATEGY=${strategy} is not valid: use one of ${STRATEGIES.join(', ')}.`);
  }
  const host = text(env, 'HOST') ?? '127.0.0.1';
  const port = int(env, 'PORT', 8080, 0, 65535);
  const publicUrl = publicUrlOf(env, host, port);
  const config: Config = {
    host,
    port,
    dataDir: resolve(text(env, 'QUANTA_DATA_DIR') ?? './data'),
    tls,
    logLevel: text(env, 'LOG_LEVEL') ?? 'info',
    bootstrap: {
      ...(apiKey && apiSecret ? { apiKey, apiSecret } : {}),
      ...(clientId && clientSecret ? { clientId, clientSecret } : {}),
      rateLimitPerSecond: int(env, 'QUANTA_RATE_LIMIT', 270, 0, 10_000_000),
      ...(strategy ? { identityStrategy: strategy as StrategyName } : {}),
    },
    log: { partitions: int(env, 'QUANTA_LOG_PARTITIONS', 8, 1, 1024) },
    eventStore: { threads: int(env, 'QUANTA_EVENT_STORE_THREADS', 1, 1, 1024) },
    allowedOrigins: (text(env, 'QUANTA_ALLOWED_ORIGINS') ?? '*').split(',').map((o) => o.trim()).filter(Boolean),
    aliasDelayMs: int(env, 'QUANTA_ALIAS_DELAY_SECONDS', 24 * 3600, 0, 30 * 24 * 3600) * 1000,
    limits: { requestBytes: 256 * 1024, batchBytes: 128 * 1024, batchesPerBulk: 100 },
    calculated: {
      retentionDays: int(env, 'QUANTA_CA_RETENTION_DAYS', 365, 1, 36_500),
      maxActive: int(env, 'QUANTA_CA_MAX_ACTIVE', 500, 1, 100_000),
      writeEveryMs: int(env, 'QUANTA_CA_WRITE_MS', 30_000, 0, 600_000),
    },
    audiences: { writeEveryMs: int(env, 'QUANTA_AUDIENCE_WRITE_MS', 5000, 0, 600_000) },
    delivery: {
      retryBudgetMs: int(env, 'QUANTA_DELIVERY_RETRY_MS', 3_600_000, 0, 7 * 24 * 3_600_000),
      retryBaseMs: int(env, 'QUANTA_DELIVERY_RETRY_BASE_MS', 1000, 1, 600_000),
      timeoutMs: int(env, 'QUANTA_DELIVERY_TIMEOUT_MS', 10_000, 1, 600_000),
      retentionMs: int(env, 'QUANTA_STREAM_RETENTION_HOURS', 168, 1, 24 * 365) * 3_600_000,
      concurrency: int(env, 'QUANTA_DELIVERY_CONCURRENCY', 16, 1, 1024),
      chunkSize: 500,
    },
    publicUrl,
    dsr: {
      processorDomain: text(env, 'QUANTA_DSR_PROCESSOR_DOMAIN') ?? new URL(publicUrl).hostname,
      pollMs: int(env, 'QUANTA_DSR_POLL_MS', 5000, 10, 3_600_000),
      retryBaseMs: int(env, 'QUANTA_DSR_RETRY_BASE_MS', 60_000, 1, 3_600_000),
      callbackAttempts: int(env, 'QUANTA_DSR_CALLBACK_ATTEMPTS', 10, 1, 100),
      callbackTimeoutMs: int(env, 'QUANTA_DSR_CALLBACK_TIMEOUT_MS', 10_000, 1, 600_000),
      requestsPerMinute: int(env, 'QUANTA_DSR_REQUESTS_PER_MINUTE', 1000, 0, 1_000_000),
      newRequestsPerDay: int(env, 'QUANTA_DSR_NEW_REQUESTS_PER_DAY', 80_000, 0, 100_000_000),
    },
  };
  return Object.freeze(config);
}

/** `QUANTA_PUBLIC_URL` without its trailing slash, else the HTTP listener's address. */
function publicUrlOf(env: Env, host: string, port: number): string {
  const given = text(env, 'QUANTA_PUBLIC_URL');
  if (given === undefined) {
    const listening = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    return `http://${listening.includes(':') ? `[${listening}]` : listening}:${port}`;
  }
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) {
    throw new ConfigError(`QUANTA_PUBLIC_URL=${given} is not valid: use the http(s) URL clients reach Quanta at, e.g. https://quanta.example.com.`);
  }
  return given.replace(/\/+$/, '');
}
