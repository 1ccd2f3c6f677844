// Entry of the plan validation worker thread (src/planning/validation-worker.ts). Workers inherit
// tsx's loader when Quanta runs under tsx; elsewhere (a test runner) it is registered here, and
// the module imported again under another URL (the failed import is cached under the first).
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
