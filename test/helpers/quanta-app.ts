import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { createQuanta, type Quanta } from '../../src/main.ts';
import { tempDir } from './temp-dir.ts';

export const API_KEY = 'test-key';
export const API_SECRET = 'test-secret';
export const CLIENT_ID = 'test-client';
export const CLIENT_SECRET = 'test-client-secret';

export const basicAuth = (key = API_KEY, secret = API_SECRET) =>
  `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;

/** A whole Quanta in this process, on real stores in a fresh temp dir; use `app.inject()`. */
export async function quantaApp(env: Record<string, string> = {}): Promise<Quanta> {
  const config = loadConfig({
    QUANTA_DATA_DIR: tempDir('quanta'),
    QUANTA_API_KEY: API_KEY,
    QUANTA_API_SECRET: API_SECRET,
    QUANTA_CLIENT_ID: CLIENT_ID,
    QUANTA_CLIENT_SECRET: CLIENT_SECRET,
    PORT: '0',
    ...env,
  });
  return createQuanta(config, pino({ level: 'silent' }));
}

/** `Bearer <token>` for the bootstrap API client, from the app's own `/oauth/token`. */
export async function bearerAuth(q: Quanta): Promise<string> {
  const res = await q.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, audience: 'https://api.mparticle.com', grant_type: 'client_credentials' },
  });
  if (res.statusCode !== 200) throw new Error(`/oauth/token answered ${res.statusCode}: ${res.body}`);
  return `Bearer ${(res.json() as { access_token: string }).access_token}`;
}
