import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The project root, where Quanta is started from. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where benchmark results and CPU profiles are written (untracked). */
export const RESULTS = join(ROOT, 'bench', 'results');
/** The bootstrap input credentials every benchmark starts Quanta with. */
export const API_KEY = 'bench-key';
export const API_SECRET = 'bench-secret';
export const BASIC_AUTH = `Basic ${Buffer.from(`${API_KEY}:${API_SECRET}`).toString('base64')}`;
/** The bootstrap API client (Bearer tokens from `POST /oauth/token`) and its workspace. */
export const CLIENT_ID = 'bench-client';
export const CLIENT_SECRET = 'bench-client-secret';
export const WORKSPACE_ID = 1;
