import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedBy } from '../../test/helpers/dsr-app.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { DsrSigner } from './dsr-signing.ts';

describe('DsrSigner', () => {
  it('signs with a key and certificate made once and kept in the data dir', async () => {
    const dir = tempDir('dsr-signing');
    const first = await DsrSigner.load(dir, 'dsr.example.com');
    const again = await DsrSigner.load(dir, 'dsr.example.com');
    expect(again.certificate).toBe(first.certificate);
    expect(signedBy(first.certificate, '{"a":1}', again.sign('{"a":1}'))).toBe(true);
    expect(first.headers('v1', 'x')).toEqual({ 'x-opengdpr-processor-domain': 'dsr.example.com', 'x-opengdpr-signature': first.sign('x') });
    expect(Object.keys(first.headers('v3', 'x'))).toEqual(['x-opendsr-processor-domain', 'x-opendsr-signature']);
  });

  it('makes a new certificate for another domain, or one near its end', async () => {
    const dir = tempDir('dsr-signing');
    const first = await DsrSigner.load(dir, 'a.example.com');
    const other = await DsrSigner.load(dir, 'b.example.com');
    expect(new X509Certificate(other.certificate).subject).toBe('CN=b.example.com');
    expect(signedBy(first.certificate, 'x', other.sign('x'))).toBe(false);
    const later = await DsrSigner.load(dir, 'b.example.com', () => Date.parse(new X509Certificate(other.certificate).validTo));
    expect(later.certificate).not.toBe(other.certificate);
  });
});
