import { createHmac, timingSafeEqual } from 'node:crypto';
import { Forbidden, Unauthorized } from '../kernel/errors.ts';
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
    if (!input) throw new Unauthorized('The key in the path does not match any input.', 'Key');
    return input;
  }

  /**
   * Authenticates the Events API's Basic key:secret. Missing or unreadable credentials are a
   * 401, credentials that do not match an input a 403, as mParticle's HTTP API documents.
   */
  authenticateBasic(header: string | undefined): Input {
    const creds = parseBasic(header);
    if (!creds) {
      throw new Unauthorized(
        header
          ? 'The Authorization header is not Basic base64(key:secret). Use the input\'s API key and secret.'
          : 'Missing Authorization header. Send Basic auth with the input\'s API key as user and its secret as password.',
      );
    }
    const input = this.byKey.get(creds.user);
    if (!input || !secretsEqual(input.apiSecret, creds.password)) {
      throw new Forbidden('The API key and secret do not match any input. Check both in your Quanta start-up output.');
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
        throw new Unauthorized('Send Basic auth with the input key and secret, or x-mp-key with Date and x-mp-signature.');
      }
      const creds = parseBasic(header(req.headers.authorization));
      const input = creds && this.byKey.get(creds.user);
      if (!input || !secretsEqual(input.apiSecret, creds.password)) throw new Unauthorized('The API key and secret do not match any input.');
      return input;
    }
    const input = this.byKey.get(key);
    if (!input) throw new Unauthorized('The x-mp-key does not match any input.');
    const signature = header(req.headers['x-mp-signature']);
    if (!signature) {
      if (input.allowKeyOnly) return input;
      throw new Unauthorized('This input does not allow key-only auth: send Date and x-mp-signature (HMAC SHA-256) too.');
    }
    const date = header(req.headers.date);
    if (!date) throw new Unauthorized('HMAC auth needs the Date header that was signed.');
    // Clients sign the path as they requested it; mParticle's own clients sign it without
    // Quanta's `/identity` prefix, so both spellings are accepted.
    const paths = [req.path, req.path.replace(/^\/identity(?=\/)/, '')];
    const ok = paths.some((path) => secretsEqual(hmac(input.apiSecret, `${req.method}\n${date}\n${path}${req.body}`), signature.toLowerCase()));
    if (!ok) throw new Unauthorized('x-mp-signature does not match: sign "METHOD\\nDATE\\nPATH+BODY" with HMAC SHA-256 and the input secret.');
    // A signature is only good near the time it was made, so a captured request cannot be replayed later.
    const signedAt = dateOf(date);
    if (signedAt === undefined) throw new Unauthorized(`The Date header "${date}" is not a date; send the signing time in ISO 8601, e.g. 20260131T120000Z.`);
    if (Math.abs(this.now() - signedAt) > HMAC_DATE_SKEW_MS) {
      throw new Unauthorized(`The Date header "${date}" is more than 15 minutes from the server's time; sign each request with the current time.`);
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
