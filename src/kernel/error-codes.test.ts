import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// Everything the app runs, so every module that defines errors is loaded.
import '../main.ts';
import { registeredErrors } from './errors.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
/** The table rows of docs/errors.md: | `CODE` | status | `BODY_CODE` | what to do | */
const rows = [...doc.matchAll(/^\| `(QUANTA_[A-Z0-9_]+)` \| (\d{3}) \| `([A-Z_]+)` \|/gm)].map(([, code, status, bodyCode]) => ({
  code: code!,
  status: Number(status),
  bodyCode,
}));

describe('docs/errors.md', () => {
  it('lists every registered code once, with its status and body code', () => {
    const documented = new Map(rows.map((r) => [r.code, r]));
    expect(documented.size).toBe(rows.length);
    expect(registeredErrors().filter((e) => documented.get(e.code)?.status !== e.status || documented.get(e.code)?.bodyCode !== e.bodyCode)).toEqual([]);
  });

  it('lists no code that is not registered', () => {
    const registered = new Set<string>(registeredErrors().map((e) => e.code));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => !registered.has(r.code))).toEqual([]);
  });
});
