import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.tls).toEqual({ mode: 'off' });
    expect(c.bootstrap.rateLimitPerSecond).toBe(270);
  });

  it('reads TLS settings', () => {
    expect(loadConfig({ QUANTA_TLS: 'self-signed', QUANTA_TLS_PORT: '9443' }).tls).toEqual({ mode: 'self-signed', port: 9443 });
  });

  it('explains a bad value instead of failing later', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT=eighty is not valid/);
    expect(() => loadConfig({ QUANTA_API_KEY: 'k' })).toThrow(/QUANTA_API_SECRET/);
    expect(() => loadConfig({ QUANTA_TLS: 'yes' })).toThrow(/self-signed/);
    expect(() => loadConfig({ QUANTA_TLS_CERT: '/x.pem' })).toThrow(/QUANTA_TLS_KEY/);
    expect(() => loadConfig({ QUANTA_IDENTITY_STRATEGY: 'vibes' })).toThrow(/profile_conversion, profile_link/);
    expect(loadConfig({ QUANTA_IDENTITY_STRATEGY: 'best_match' }).bootstrap.identityStrategy).toBe('best_match');
  });
});
