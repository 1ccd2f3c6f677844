// Entry of the rules' sandbox process (rule-host.ts forks it); its code is rule-host-child.ts.
import { importTypeScript } from '../../kernel/typescript-entry.mjs';

await importTypeScript(new URL('./rule-host-child.ts', import.meta.url));
