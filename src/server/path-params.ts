import type { Ajv } from 'ajv';
import { MAX_ID, parseAccountId, parseOrgId, parsePlanVersion, parseWorkspaceId } from '../kernel/ids.ts';
import { PathIdInvalid, RequestInvalid } from './http-errors.ts';

type Reader = (text: string) => number | undefined;

/** The kernel parser a path id's schema is read with (JSON Schema, OpenAPI and Ajv ignore symbol keys). */
const READ = Symbol('path id parser');

const pathId = (read: Reader) => ({ type: 'integer', minimum: 1, maximum: MAX_ID, [READ]: read }) as const;

/**
 * The schemas of ids, for route params: `{ ...workspaceIdParam, description: '...' }`. They say in
 * /openapi.json what an id is, and in a path {@link pathParamsValidator} reads its text with their
 * parser. (In a query, where Ajv reads it, the bounds alone keep out what is not an id.)
 */
export const workspaceIdParam = pathId(parseWorkspaceId);
export const orgIdParam = pathId(parseOrgId);
export const accountIdParam = pathId(parseAccountId);
export const planVersionParam = pathId(parsePlanVersion);

/** `?accountId=`, which every Platform API v1 call sends (the tenant scope checks it is in the caller's scope and the path workspace's account; `v1CallerOf` requires it). */
export const accountQuery = {
  type: 'object',
  properties: { accountId: { ...accountIdParam, description: "The workspace's account (required)", examples: [1] } },
};

/** Any other integer in a path: plain decimal digits that a number holds exactly. */
const readInteger: Reader = (text) => {
  const n = /^(0|-?[1-9]\d*)$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
};

interface ParamsSchema {
  properties?: Record<string, { type?: unknown; [READ]?: Reader }>;
}

/**
 * The app's validator of path params. Integer params are read from the text sent, by their
 * path id parser or else as plain digits, because Ajv's coercion would take " 1", "1e3" or
 * "0x1" for numbers; Ajv then checks the rest of the schema (bounds included). A bad id is a 400
 * naming each bad parameter and the text sent, before any handler runs.
 */
export function pathParamsValidator(ajv: Ajv, schema: object) {
  const validate = ajv.compile(schema);
  const readers = new Map<string, Reader>();
  for (const [name, property] of Object.entries((schema as ParamsSchema).properties ?? {})) {
    const read = property[READ] ?? (property.type === 'integer' ? readInteger : undefined);
    if (read) readers.set(name, read);
  }
  return (params: Record<string, unknown>) => {
    const sent = { ...params };
    const invalid: { name: string; value: string }[] = [];
    for (const [name, read] of readers) {
      const text = sent[name];
      if (typeof text !== 'string') continue;
      const id = read(text);
      if (id === undefined) invalid.push({ name, value: text });
      else params[name] = id;
    }
    if (invalid.length > 0) return { error: new PathIdInvalid(invalid) };
    if (validate(params)) return true;
    for (const e of validate.errors ?? []) {
      const name = e.instancePath.slice(1);
      if (readers.has(name)) invalid.push({ name, value: String(sent[name]) });
    }
    return { error: invalid.length > 0 ? new PathIdInvalid(invalid) : new RequestInvalid(ajv.errorsText(validate.errors, { dataVar: 'params' })) };
  };
}
