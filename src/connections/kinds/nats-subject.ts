import type { Parsed, Problem, StreamBatch } from '../stream-batch.ts';

/** The placeholders a `nats` output's subject may hold: what every batch of the stream has one value of. */
const PLACEHOLDERS = {
  mpid: (b: StreamBatch) => b.mpid,
  workspace_id: (b: StreamBatch) => String(b.workspaceId),
  input_id: (b: StreamBatch) => String(b.inputId),
  environment: (b: StreamBatch) => b.batch.environment,
} as const;

type Placeholder = keyof typeof PLACEHOLDERS;

const isPlaceholder = (name: string): name is Placeholder => Object.hasOwn(PLACEHOLDERS, name);

const NAMES = Object.keys(PLACEHOLDERS).map((n) => `{${n}}`).join(', ');

/**
 * A subject with placeholders, parsed once: `quanta.{workspace_id}.batches.{mpid}` gives each
 * user's batches their own subject, which a consumer can filter on, and JetStream keeps each
 * subject's messages in the order they were published.
 */
export interface SubjectTemplate {
  readonly text: string;
  /** The subject one batch is published to. */
  resolve(batch: StreamBatch): string;
  /** Every subject `resolve` can give, as a stream's subject filter: each token that holds a placeholder becomes `*`. */
  readonly pattern: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
/** Whitespace and control characters end a subject in NATS's protocol; `*` and `>` are wildcards, which a published subject cannot hold. */
const FORBIDDEN = /[\s\p{Cc}*>{}]/u;

/** A piece of a subject's token: literal text, or a placeholder. */
type Part = { readonly text: string } | { readonly placeholder: Placeholder };

const valueOf = (part: Part, batch: StreamBatch) => ('text' in part ? part.text : PLACEHOLDERS[part.placeholder](batch));

/**
 * Parses a subject template, naming every problem: an empty token, an unknown placeholder, a
 * wildcard or a character NATS's subjects cannot carry.
 *
 * @example
 * const s = parseSubject('quanta.{workspace_id}.{mpid}');
 * // s.ok && s.value.pattern === 'quanta.*.*'
 */
export function parseSubject(text: string, path = 'settings.subject'): Parsed<SubjectTemplate> {
  const problems: Problem[] = [];
  const literal = (piece: string): Part => {
    const bad = FORBIDDEN.exec(piece);
    if (bad) problems.push(`${path}: "${text}" holds ${JSON.stringify(bad[0])}; a subject has no whitespace, wildcards (* >) or braces outside placeholders`);
    return { text: piece };
  };
  if (text.startsWith('$')) problems.push(`${path}: "${text}" starts with "$", which NATS keeps for its own subjects ($JS, $SYS...)`);
  const tokens = text.split('.').map((token, i): Part[] => {
    if (token === '') problems.push(`${path}: "${text}" has an empty token (number ${i + 1}); tokens are separated by single dots`);
    const parts: Part[] = [];
    let at = 0;
    for (const m of token.matchAll(PLACEHOLDER)) {
      if (m.index > at) parts.push(literal(token.slice(at, m.index)));
      const name = m[1]!;
      if (isPlaceholder(name)) parts.push({ placeholder: name });
      else problems.push(`${path}: "{${name}}" is not a placeholder; a subject may hold ${NAMES}`);
      at = m.index + m[0].length;
    }
    if (at < token.length || parts.length === 0) parts.push(literal(token.slice(at)));
    return parts;
  });
  if (problems.length > 0) return { ok: false, problems };
  const pattern = tokens.map((parts) => (parts.every((p) => 'text' in p) ? parts.map((p) => p.text).join('') : '*')).join('.');
  return {
    ok: true,
    value: { text, pattern, resolve: (batch) => tokens.map((parts) => parts.map((p) => valueOf(p, batch)).join('')).join('.') },
  };
}

/** Checks a JetStream stream name: not empty, and none of the characters NATS refuses in one (whitespace, `.`, `*`, `>`, path separators). */
export function streamNameProblem(name: string, path = 'settings.stream'): Problem | undefined {
  if (name.length > 255) return `${path}: at most 255 characters`;
  const bad = /[\s\p{Cc}.*>/\\]/u.exec(name);
  return bad ? `${path}: "${name}" holds ${JSON.stringify(bad[0])}; a stream name has no whitespace, dots, wildcards or slashes` : undefined;
}
