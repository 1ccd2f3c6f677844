import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const threadNames = () => readdirSync('/proc/self/task').map((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());

describe.runIf(process.platform === 'linux')('nameThread', () => {
  it('names the worker thread that calls it, cut to the 15 characters Linux keeps', async () => {
    const url = new URL('./thread-name.mjs', import.meta.url).href;
    // The worker listens on its port after naming itself, so that it is still running when its name is read.
    const worker = new Worker(
      `import { parentPort } from 'node:worker_threads'; const { nameThread } = await import(${JSON.stringify(url)}); nameThread('quanta-test-thread-name'); parentPort.on('message', () => {}); parentPort.postMessage('named');`,
      { eval: true },
    );
    try {
      await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(threadNames()).toContain('quanta-test-thr');
    } finally {
      await worker.terminate();
    }
  });
});
