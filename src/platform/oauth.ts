import { createHash, randomBytes } from 'node:crypto';
import { problem } from '../kernel/errors.ts';
import { secretsEqual } from './credentials.ts';
import { ClientCredentialsInvalid, GrantTypeUnsupported, TokenInvalid, TokenMissing, TokenRequestInvalid } from './platform-errors.ts';
import type { PlatformStore } from './platform-store.ts';

/** mParticle's tokens last 8 hours. */
export const TOKEN_TTL_SECONDS = 8 * 3600;

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * OAuth 2 client credentials, as mParticle's `/oauth/token` does them: tokens are opaque, last
 * 8 hours and cannot be revoked. Only their hashes are stored.
 */
export class TokenService {
  constructor(
    private readonly store: PlatformStore,
    private readonly now: () => number = Date.now,
  ) {}

  issue(body: unknown): TokenResponse {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const problems = ['client_id', 'client_secret', 'grant_type']
      .filter((k) => typeof b[k] !== 'string' || b[k] === '')
      .map((k) => problem(`Required field "${k}" is missing or empty.`));
    if (problems.length > 0) throw new TokenRequestInvalid(problems);
    if (b.grant_type !== 'client_credentials') throw new GrantTypeUnsupported();
    const client = this.store.apiClient(b.client_id as string);
    if (!client || !secretsEqual(client.clientSecret, b.client_secret as string)) {
      throw new ClientCredentialsInvalid();
    }
    const token = randomBytes(32).toString('base64url');
    this.store.saveToken(hash(token), client.clientId, this.now() + TOKEN_TTL_SECONDS * 1000);
    return { access_token: token, expires_in: TOKEN_TTL_SECONDS, token_type: 'Bearer' };
  }

  /** The client id a Bearer token was issued to; throws 401 for a missing, unknown or expired one. */
  verify(header: string | undefined): string {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new TokenMissing();
    const clientId = this.store.tokenClient(hash(match[1]!), this.now());
    if (!clientId) throw new TokenInvalid();
    return clientId;
  }
}
