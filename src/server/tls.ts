import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import type { Config } from '../config/config.ts';

export interface TlsMaterial {
  key: string;
  cert: string;
  port: number;
  /** Where the certificate came from, for the start-up output. */
  source: string;
}

/**
 * The certificate for the HTTPS listener: the configured PEM files, or a self-signed one made
 * once for localhost and kept in the data dir so browsers that were told to trust it still do.
 */
export async function loadTls(tls: Config['tls'], dataDir: string): Promise<TlsMaterial | undefined> {
  switch (tls.mode) {
    case 'off':
      return undefined;
    case 'files':
      return { key: readFileSync(tls.key, 'utf8'), cert: readFileSync(tls.cert, 'utf8'), port: tls.port, source: tls.cert };
    case 'self-signed': {
      const dir = join(dataDir, 'tls');
      const keyFile = join(dir, 'self-signed.key');
      const certFile = join(dir, 'self-signed.crt');
      if (!existsSync(keyFile) || !existsSync(certFile)) {
        const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
          keySize: 2048,
          algorithm: 'sha256',
          extensions: [
            { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
          ],
        });
        mkdirSync(dir, { recursive: true });
        writeFileSync(keyFile, pems.private, { mode: 0o600 });
        writeFileSync(certFile, pems.cert);
      }
      return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), port: tls.port, source: certFile };
    }
    default: {
      const never: never = tls;
      throw new Error(`unknown TLS mode ${JSON.stringify(never)}`);
    }
  }
}
