import { createPrivateKey, createSign, type KeyObject, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { DsrVersion } from './dsr.ts';

/** The headers that carry a signature and the processor's domain: OpenGDPR's in v1, OpenDSR's since. */
export const signatureHeaders = (version: DsrVersion) =>
  version === 'v1'
    ? ({ domain: 'x-opengdpr-processor-domain', signature: 'x-opengdpr-signature' } as const)
    : ({ domain: 'x-opendsr-processor-domain', signature: 'x-opendsr-signature' } as const);

/** How long a certificate made here is valid; one within a day of its end is made again. */
const VALIDITY_DAYS = 3650;
const RENEW_MS = 24 * 3_600_000;

/**
 * Quanta's signature as an OpenDSR processor: RSA SHA-256 over a body's exact bytes, base64, with
 * a key pair and a self-signed certificate issued to the processor domain. Both are made on first
 * start and kept in the data dir (`dsr/`), so controllers that cached the certificate keep
 * trusting it; they are made again when the domain changes or the certificate nears its end.
 *
 * @example
 *   const signer = await DsrSigner.load(config.dataDir, 'quanta.example.com');
 *   reply.header('x-opendsr-signature', signer.sign(body));
 */
export class DsrSigner {
  private constructor(
    readonly domain: string,
    private readonly key: KeyObject,
    /** The certificate, PEM: what `GET /discovery`'s `processor_certificate` URL serves. */
    readonly certificate: string,
  ) {}

  static async load(dataDir: string, domain: string, now: () => number = Date.now): Promise<DsrSigner> {
    const dir = join(dataDir, 'dsr');
    const files = { key: join(dir, 'processor.key'), cert: join(dir, 'processor.crt') };
    const current = existsSync(files.key) && existsSync(files.cert) ? { key: readFileSync(files.key, 'utf8'), cert: readFileSync(files.cert, 'utf8') } : undefined;
    if (current && usable(current.cert, domain, now())) return new DsrSigner(domain, createPrivateKey(current.key), current.cert);
    const notBeforeDate = new Date(now() - 60_000);
    const pems = await generate([{ name: 'commonName', value: domain }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate: new Date(notBeforeDate.getTime() + VALIDITY_DAYS * 24 * 3_600_000),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: domain }] }],
    });
    mkdirSync(dir, { recursive: true });
    writeFileSync(files.key, pems.private, { mode: 0o600 });
    writeFileSync(files.cert, pems.cert);
    return new DsrSigner(domain, createPrivateKey(pems.private), pems.cert);
  }

  /** The base64 RSA SHA-256 signature of `body`'s UTF-8 bytes (the key parsed once, at load). */
  sign(body: string): string {
    return createSign('RSA-SHA256').update(body, 'utf8').sign(this.key, 'base64');
  }

  /** The two headers of a signed body, by the version's names. */
  headers(version: DsrVersion, body: string): Record<string, string> {
    const names = signatureHeaders(version);
    return { [names.domain]: this.domain, [names.signature]: this.sign(body) };
  }
}

/** A kept certificate still serves: issued to this domain, and not near its end. */
function usable(pem: string, domain: string, nowMs: number): boolean {
  try {
    const cert = new X509Certificate(pem);
    return cert.subject === `CN=${domain}` && Date.parse(cert.validTo) - nowMs > RENEW_MS;
  } catch {
    return false;
  }
}
