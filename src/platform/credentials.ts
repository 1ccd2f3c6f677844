import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  BasicAuthMalformed,
  BasicAuthMissing,
  CredentialsForbidden,
  CredentialsInvalid,
  HmacDateInvalid,
  HmacDateMissing,
  HmacDateSkewed,
  HmacSignatureInvalid,
  IdentityAuthMissing,
  KeyOnlyRefused,
  MpKeyUnknown,
  PathKeyUnknown,
} from './platform-errors.ts';
import type { Input, PlatformStore } from './platform-store.ts';

/** Decodes `Authorization: Basic base64(user:password)`; undefined when absent or malformed. */
export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Finds inputs by API key from memory; the platform store is read once and on change. */
export class InputDirectory {
  private byKey = new Map<string, Input>();

  constructor(
    private readonly store: PlatformStore,
    private readonly now: () => number = Date.now,
  ) {
    this.reload();
  }

  reload(): void {
    this.byKey = new Map(this.store.inputs().map((i) => [i.apiKey, i]));
  }

  byApiKey(apiKey: string): Input | undefined {
    return this.byKey.get(apiKey);
  }

  /** The input whose key a browser-facing route carries in its path (web inputs: no secret); 401 if none. */
  authenticatePathKey(apiKey: string): Input {
    const input = this.byKey.get(apiKey);
    if (!input) throw new PathKeyUnknown();
    return input;
  }

  /**
   * Authenticates the Events API's Basic key:secret. Missing or unreadable credentials are a
   * 401, credentials that do not match an input a 403, as mParticle's HTTP API documents.
   */
  authenticateBasic(header: string | undefined): Input {
    const creds = parseBasic(header);
    if (!creds) {
      throw header ? new BasicAuthMalformed() : new BasicAuthMissing();
    }
    const input = this.byKey.get(creds.user);
    if (!input || !secretsEqual(input.apiSecret, creds.password)) {
      throw new CredentialsForbidden();
    }
    return input;
  }

  /**
   * Authenticates an Identity API request by any of its three documented methods: Basic
   * key:secret, HMAC digest (`x-mp-key`, `Date`, `x-mp-signature` over method, date, path and
   * body), or the key alone where the input allows it. Failures are 401s, as documented.
   */
  authenticateIdentity(req: IdentityAuthRequest): Input {
    const key = header(req.headers['x-mp-key']);
    if (!key) {
      if (req.headers.authorization === undefined) {
        throw new IdentityAuthMissing();
      }
      const creds = parseBasic(header(req.headers.authorization));
      const input = creds && this.byKey.get(creds.user);
      if (!input || !secretsEqual(input.apiSecret, creds.password)) throw new CredentialsInvalid();
      return input;
    }
    const input = this.byKey.get(key);
    if (!input) throw new MpKeyUnknown();
    const signature = header(req.headers['x-mp-signature']);
    if (!signature) {
      if (input.allowKeyOnly) return input;
      throw new KeyOnlyRefused();
    }
    const date = header(req.headers.date);
    if (!date) throw new HmacDateMissing();
    // Clients sign the path as they requested it; mParticle's own clients sign it without
    // Quanta's `/identity` prefix, so both spellings are accepted.
    const paths = [req.path, req.path.replace(/^\/identity(?=\/)/, '')];
    const ok = paths.some((path) => secretsEqual(hmac(input.apiSecret, `${req.method}\n${date}\n${path}${req.body}`), signature.toLowerCase()));
    if (!ok) throw new HmacSignatureInvalid();
    // A signature is only good near the time it was made, so a captured request cannot be replayed later.
    const signedAt = dateOf(date);
    if (signedAt === undefined) throw new HmacDateInvalid(date);
    if (Math.abs(this.now() - signedAt) > HMAC_DATE_SKEW_MS) {
      throw new HmacDateSkewed(date);
    }
    return input;
  }
}

export interface IdentityAuthRequest {
  method: string;
  /** The request path without its query string. */
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body exactly as received. */
  body: string;
}

/** How far a signed request's Date may be from the server's clock. */
export const HMAC_DATE_SKEW_MS = 15 * 60_000;

/** The time of a Date header: ISO 8601 basic (`20170712T224127Z`, as mParticle documents), extended, or HTTP-date. */
function dateOf(text: string): number | undefined {
  const basic = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  const ms = basic ? Date.UTC(+basic[1]!, +basic[2]! - 1, +basic[3]!, +basic[4]!, +basic[5]!, +basic[6]!) : Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function hmac(secret: string, text: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('hex');
}
