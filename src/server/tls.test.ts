import { request } from 'node:https';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/config.ts';
import { startQuanta, type Quanta } from '../main.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';

let q: Quanta;
let banner = '';

function httpsCall(url: string, method: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method, headers, rejectUnauthorized: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void (banner += line));
  q = await startQuanta(
    loadConfig({ QUANTA_DATA_DIR: tempDir('tls'), PORT: '0', QUANTA_TLS: 'self-signed', QUANTA_TLS_PORT: '0', LOG_LEVEL: 'silent' }),
  );
  log.mockRestore();
});
afterAll(async () => {
  await q.close();
});

describe('TLS', () => {
  it('serves every route over HTTPS with a self-signed certificate kept in the data dir', async () => {
    const https = /HTTPS\s+(https:\/\/\S+)/.exec(banner)?.[1];
    expect(https).toBeDefined();
    expect(existsSync(join(q.config.dataDir, 'tls', 'self-signed.crt'))).toBe(true);
    expect((await httpsCall(`${https}/healthz`, 'GET')).status).toBe(200);
    const key = q.use('bootstrapped').input;
    const res = await httpsCall(`${https}/v2/events`, 'POST', '{"events":[{"event_type":"screen_view","data":{"screen_name":"Secure"}}]}', {
      authorization: `Basic ${Buffer.from(`${key.apiKey}:${key.apiSecret}`).toString('base64')}`,
      'content-type': 'application/json',
    });
    expect(res.status).toBe(202);
  });

  it('prints the URLs, the data dir and the credentials it generated', () => {
    expect(banner).toMatch(/HTTP\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toContain(q.config.dataDir);
    expect(banner).toContain(`${q.use('bootstrapped').input.apiKey}   (generated now, stored)`);
    expect(banner).toContain(q.use('bootstrapped').client.clientSecret);
  });
});
