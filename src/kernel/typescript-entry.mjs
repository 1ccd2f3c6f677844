/**
 * Imports a TypeScript module as a worker thread's entry. Node 20 does not pass tsx's loader on to
 * worker threads (under `tsx` or `node --import tsx` alike), so the first import fails; tsx is then
 * registered here and the module imported again under another URL (the failed import is cached
 * under the first). A runtime that does pass the loader imports at once. Plain JavaScript: it
 * runs before any TypeScript can.
 */
export async function importTypeScript(url) {
  try {
    return await import(url.href);
  } catch (error) {
    if (error?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const { register } = await import('tsx/esm/api');
    register();
    return import(`${url.href}?registered`);
  }
}
