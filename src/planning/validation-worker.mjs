// Entry of the plan validation worker thread (src/planning/validation-worker.ts).
import { nameThread } from '../kernel/thread-name.mjs';
import { importTypeScript } from '../kernel/typescript-entry.mjs';

nameThread('quanta-validate');
await importTypeScript(new URL('./validation-thread.ts', import.meta.url));
