import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value for one field of a COPY row: text as PostgreSQL parses it, a number, a boolean, JSON (an object), or SQL NULL. */
export type CopyValue = string | number | boolean | object | null;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const UNSTORABLE = /[\0\uD800-\uDFFF]/;
const COPY_SPECIAL = /[\\\n\r\t]/g;
const COPY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
/** In JSON text, what PostgreSQL's `jsonb` refuses: an escaped NUL or a lone surrogate (false positives only cost the slow path). */
const UNSTORABLE_JSON = /\\u0000|\\ud[89a-f]/i;

/**
 * A string PostgreSQL can store: `text` and `jsonb` take no NUL character (it is dropped) and no
 * lone UTF-16 surrogate (it becomes U+FFFD).
 */
export function storable(text: string): string {
  return UNSTORABLE.test(text) ? text.replace(LONE_SURROGATE, '\uFFFD').replaceAll('\0', '') : text;
}

function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storable(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storable(k), storableJson(v)]));
  }
  return value;
}

/** A value as `jsonb` input text. */
export function jsonText(value: object): string {
  const text = JSON.stringify(value);
  return UNSTORABLE_JSON.test(text) ? JSON.stringify(storableJson(value)) : text;
}

/** One field in COPY's text format: `\N` for NULL, specials backslash-escaped. */
export function copyField(value: CopyValue): string {
  if (value === null) return '\\N';
  const text = typeof value === 'string' ? storable(value) : typeof value === 'object' ? jsonText(value) : typeof value === 'boolean' ? (value ? 't' : 'f') : String(value);
  return text.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]!);
}

/** One row in COPY's text format: fields tab-separated, ending in a newline. */
export const copyLine = (fields: readonly CopyValue[]): string => `${fields.map(copyField).join('\t')}\n`;

const CHUNK_CHARS = 256 * 1024;

/** Lines joined into chunks of about {@link CHUNK_CHARS}, so the stream writes few large buffers. */
function* chunksOf(lines: Iterable<string>): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/** Runs `COPY <target> FROM STDIN` (text format) with these lines on the client; answers the rows copied. */
export async function copyIn(client: PoolClient, target: string, lines: Iterable<string>): Promise<number> {
  const stream = client.query(copyFrom(`COPY ${target} FROM STDIN`));
  await pipeline(Readable.from(chunksOf(lines)), stream);
  return stream.rowCount;
}
