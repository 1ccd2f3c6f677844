import { problem } from '../kernel/errors.ts';
import type { AccessStore, TokenSubject } from './access-store.ts';
import { ClientCredentialsInvalid, GrantTypeUnsupported, TokenInvalid, TokenMissing, TokenRequestInvalid, UserCredentialsInvalid } from './access-errors.ts';
import { matchesHash, newSecret, passwordMatches, sha256 } from './secrets.ts';

/** mParticle's tokens last 8 hours. */
export const TOKEN_TTL_SECONDS = 8 * 3600;

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

/** The fields each grant type needs. */
const REQUIRED = { client_credentials: ['client_id', 'client_secret'], password: ['username', 'password'] } as const;

/**
 * OAuth 2 tokens, as mParticle's `/oauth/token` issues them: opaque, 8 hours, only their hashes
 * stored. API clients use client credentials; Quanta's users (mParticle's are Auth0 logins) the
 * password grant. A token speaks for its subject: it carries exactly the subject's permissions at
 * each call, so revoking, deactivating or rotating credentials ends their tokens at once.
 */
export class TokenService {
  constructor(
    private readonly store: AccessStore,
    private readonly now: () => number = Date.now,
  ) {}

  issue(body: unknown): TokenResponse {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const text = (k: string) => (typeof b[k] === 'string' && b[k] !== '' ? (b[k] as string) : undefined);
    const grant = text('grant_type');
    // Without a grant type, the fields of client credentials (mParticle's only grant) are listed too.
    const fields = grant === 'password' ? REQUIRED.password : [...REQUIRED.client_credentials, 'grant_type'];
    const missing = fields.filter((k) => text(k) === undefined).map((k) => problem(`Required field "${k}" is missing or empty.`));
    if (missing.length > 0) throw new TokenRequestInvalid(missing);
    if (grant !== 'client_credentials' && grant !== 'password') throw new GrantTypeUnsupported();
    return this.save(grant === 'client_credentials' ? this.client(text('client_id')!, text('client_secret')!) : this.user(text('username')!, text('password')!));
  }

  /** Who a Bearer token speaks for; throws 401 for a missing, unknown or expired one. */
  verify(header: string | undefined): TokenSubject {
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new TokenMissing();
    const subject = this.store.tokenSubject(sha256(match[1]!), this.now());
    if (!subject) throw new TokenInvalid();
    return subject;
  }

  private client(clientId: string, secret: string): TokenSubject {
    const client = this.store.client(clientId);
    if (!client || !client.active || !matchesHash(secret, client.secretHash)) throw new ClientCredentialsInvalid();
    return { kind: 'api_client', clientId };
  }

  private user(email: string, password: string): TokenSubject {
    const user = this.store.user(email.toLowerCase());
    if (!user || !passwordMatches(password, user.passwordHash)) throw new UserCredentialsInvalid();
    return { kind: 'user', email: user.email };
  }

  private save(subject: TokenSubject): TokenResponse {
    const token = newSecret(32);
    this.store.saveToken(sha256(token), subject, this.now() + TOKEN_TTL_SECONDS * 1000);
    return { access_token: token, expires_in: TOKEN_TTL_SECONDS, token_type: 'Bearer' };
  }
}
