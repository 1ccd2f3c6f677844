import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** A random secret (client secrets, passwords Quanta makes, tokens). */
export const newSecret = (bytes = 24) => randomBytes(bytes).toString('base64url');

/** SHA-256 of a high-entropy secret (a client secret or token: random, so no slow hash is needed). */
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Whether `secret` hashes to `hash`, in constant time. */
export function matchesHash(secret: string, hash: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** scrypt of a password a person may have chosen, as `salt:hash`. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
}

export function passwordMatches(password: string, stored: string): boolean {
  const [salt, hash] = stored.split(':');
  if (!salt || !hash) return false;
  const actual = scryptSync(password, Buffer.from(salt, 'hex'), 32);
  const expected = Buffer.from(hash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
