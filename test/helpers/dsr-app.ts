import { X509Certificate, createVerify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { pino } from 'pino';
import { CAPABILITIES } from '../../src/capabilities.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { Mpid, WorkspaceId } from '../../src/kernel/ids.ts';
import { privacyCapability, type PrivacyOptions } from '../../src/privacy/privacy.module.ts';
import type { DsrPorts } from '../../src/privacy/dsr-runner.ts';
import type { ErasureNotice, ForwardingStatus } from '../../src/privacy/subject-data.ts';
import { createQuanta, type Quanta } from '../../src/runtime/app-runtime.ts';
import { openStorage } from '../../src/storage/engines.ts';
import { API_KEY, API_SECRET, CLIENT_ID, CLIENT_SECRET } from './quanta-app.ts';
import { tempDir } from './temp-dir.ts';

/** A clock a test moves by hand. */
export function testClock(startIso = '2026-03-02T10:00:00.000Z') {
  let at = Date.parse(startIso);
  return {
    now: () => at,
    advance(ms: number) {
      at += ms;
    },
  };
}

/** Ports that record what they were asked: the erasure engine, the access export, the erasure forwarding. */
export function testPorts(dir = tempDir('dsr-results')) {
  const erased: { ws: WorkspaceId; mpids: readonly Mpid[] }[] = [];
  const collected: { ws: WorkspaceId; mpids: readonly Mpid[]; requestId: string }[] = [];
  const forwarded: { ws: WorkspaceId; notice: ErasureNotice }[] = [];
  const forwarding: ForwardingStatus[] = [{ domain: 'partner.example.com', name: 'Partner webhook', status: 'sent' }];
  let failErase = 0;
  const ports: DsrPorts = {
    eraser: {
      async erase(ws, mpids) {
        if (failErase > 0) {
          failErase--;
          throw new Error('the erasure engine stopped');
        }
        erased.push({ ws, mpids });
        return { users: mpids.length, rows: mpids.length * 3 };
      },
    },
    collector: {
      async collect(ws, mpids, requestId) {
        collected.push({ ws, mpids, requestId });
        const zip = zipSync({ 'profile.jsonl': strToU8(`${JSON.stringify({ mpids })}\n`) });
        const path = join(dir, `${requestId}.zip`);
        writeFileSync(path, zip);
        return { kind: 'file', path, bytes: zip.length };
      },
    },
    forwarder: {
      async forward(ws, notice) {
        forwarded.push({ ws, notice });
        return forwarding;
      },
    },
  };
  return {
    ports,
    erased,
    collected,
    forwarded,
    /** The next `times` erasures throw. */
    failErasures(times: number) {
      failErase = times;
    },
  };
}

/**
 * A whole Quanta in this process (real stores in a temp dir) whose privacy capability runs on the
 * given ports and clock; its DSR job only runs when the test calls `use('dsrScheduler').runDue()`.
 */
export async function dsrApp(options: PrivacyOptions, env: Record<string, string> = {}): Promise<Quanta> {
  const config = loadConfig({
    QUANTA_DATA_DIR: tempDir('quanta-dsr'),
    QUANTA_API_KEY: API_KEY,
    QUANTA_API_SECRET: API_SECRET,
    QUANTA_CLIENT_ID: CLIENT_ID,
    QUANTA_CLIENT_SECRET: CLIENT_SECRET,
    PORT: '0',
    QUANTA_PUBLIC_URL: 'https://quanta.test',
    QUANTA_DSR_POLL_MS: '3600000',
    QUANTA_DSR_RETRY_BASE_MS: '1000',
    QUANTA_DSR_CALLBACK_ATTEMPTS: '3',
    QUANTA_DSR_CALLBACK_TIMEOUT_MS: '2000',
    ...env,
  });
  const capabilities = CAPABILITIES.map((c) => (c.name === 'privacy' ? privacyCapability(options) : c));
  return createQuanta(config, pino({ level: 'silent' }), {
    capabilities,
    storage: openStorage(config, 'app'),
    processor: { entry: new URL('../../src/processor-main.mjs', import.meta.url), workerData: { config } },
  });
}

/** Whether `signature` (base64) is the RSA SHA-256 signature of `body` by the certificate's key. */
export function signedBy(certificatePem: string, body: string, signature: unknown): boolean {
  if (typeof signature !== 'string') return false;
  return createVerify('RSA-SHA256').update(body, 'utf8').verify(new X509Certificate(certificatePem).publicKey, signature, 'base64');
}
