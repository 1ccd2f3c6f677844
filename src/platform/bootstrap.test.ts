import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqlitePlatformStore } from '../storage/sqlite/sqlite-platform-store.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { bootstrap } from './bootstrap.ts';
import { InputDirectory, parseBasic } from './credentials.ts';
import { RateLimiter } from './rate-limiter.ts';

describe('bootstrap', () => {
  it('generates credentials once, stores them and reuses them on the next start', () => {
    const file = join(tempDir('boot'), 'state.sqlite');
    const store = new SqlitePlatformStore(file);
    const first = bootstrap(store, { rateLimitPerSecond: 270 });
    expect(first.generated).toEqual(['api_key', 'api_secret', 'client_id', 'client_secret']);
    expect(first.tenant).toEqual({ orgId: 1, accountId: 1, workspaceId: 1 });
    store.close();
    const reopened = new SqlitePlatformStore(file);
    const second = bootstrap(reopened, { rateLimitPerSecond: 270 });
    expect(second.generated).toEqual([]);
    expect(second.input).toEqual(first.input);
    expect(second.client).toEqual(first.client);
    expect(reopened.inputs()).toHaveLength(1);
    reopened.close();
  });

  it('takes given credentials over stored ones, updating the same input', () => {
    const store = new SqlitePlatformStore(join(tempDir('boot'), 'state.sqlite'));
    const first = bootstrap(store, { rateLimitPerSecond: 270 });
    const second = bootstrap(store, { apiKey: 'k', apiSecret: 's', rateLimitPerSecond: 5 });
    expect(second.input).toMatchObject({ id: first.input.id, apiKey: 'k', apiSecret: 's', rateLimitPerSecond: 5 });
    expect(second.generated).toEqual([]);
    const inputs = new InputDirectory(store);
    expect(inputs.authenticateBasic(`Basic ${Buffer.from('k:s').toString('base64')}`).id).toBe(first.input.id);
    expect(() => inputs.authenticateBasic(`Basic ${Buffer.from(`${first.input.apiKey}:${first.input.apiSecret}`).toString('base64')}`)).toThrow(
      /do not match/,
    );
    store.close();
  });
});

describe('parseBasic', () => {
  it('reads key and secret, secrets with colons included, and refuses anything else', () => {
    expect(parseBasic(`Basic ${Buffer.from('key:se:cret').toString('base64')}`)).toEqual({ user: 'key', password: 'se:cret' });
    expect(parseBasic(undefined)).toBeUndefined();
    expect(parseBasic('Bearer x')).toBeUndefined();
    expect(parseBasic(`Basic ${Buffer.from('nocolon').toString('base64')}`)).toBeUndefined();
  });
});

describe('RateLimiter', () => {
  it('allows a second of batches, refuses more with a retry time, and refills', () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    expect(limiter.take(1, 200, 150)).toBe(75);
    expect(() => limiter.take(1, 200, 100)).toThrow(expect.objectContaining({ status: 429, headers: expect.objectContaining({ 'retry-after': '1' }) }));
    expect(limiter.take(2, 200, 100)).toBe(50);
    now = 500;
    expect(limiter.take(1, 200, 100)).toBe(75);
    expect(limiter.take(1, 0, 1_000_000)).toBe(0);
  });
});
