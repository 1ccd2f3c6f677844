// Entry of the plan validation worker thread (src/planning/validation-worker.ts). Node 20 does not
// pass tsx's loader on to worker threads (under `tsx` or `node --import tsx` alike), so the first
// import fails and tsx is registered here, the module then imported again under another URL (the
// failed import is cached under the first); a runtime that does pass the loader imports at once.
import { nameThread } from '../kernel/thread-name.mjs';

nameThread('quanta-validate');
try {
  await import('./validation-thread.ts');
} catch (error) {
  if (error?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
  const { register } = await import('tsx/esm/api');
  register();
  await import('./validation-thread.ts?registered');
}
