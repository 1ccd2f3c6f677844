// Entry of the processor thread (src/pipeline/processor-thread.ts); its composition root is processor-main.ts.
import { nameThread } from './kernel/thread-name.mjs';
import { importTypeScript } from './kernel/typescript-entry.mjs';

nameThread('quanta-process');
await importTypeScript(new URL('./processor-main.ts', import.meta.url));
