import { timingSafeEqual } from 'node:crypto';
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

  constructor(private readonly store: PlatformStore) {
    this.reload();
  }

  reload(): void {
    this.byKey = new Map(this.store.inputs().map((i) => [i.apiKey, i]));
  }

  byApiKey(apiKey: string): Input | undefined {
    return this.byKey.get(apiKey);
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
}
