import type { OutputKind, SettingSpec, Settings } from './output.ts';
import type { Parsed, Problem } from './stream-batch.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseOne(spec: SettingSpec, value: unknown, path: string): { value: string | boolean | number } | { problem: Problem } {
  switch (spec.type) {
    case 'bool':
      return typeof value === 'boolean' ? { value } : { problem: `${path}: must be true or false` };
    case 'int':
      return Number.isSafeInteger(value) && (value as number) >= 0 ? { value: value as number } : { problem: `${path}: must be a whole number, 0 or more` };
    case 'url': {
      if (typeof value !== 'string') return { problem: `${path}: must be a URL (http or https)` };
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return { problem: `${path}: "${value}" is not a URL; send it with its scheme, e.g. https://example.com/events` };
      }
      return url.protocol === 'http:' || url.protocol === 'https:' ? { value } : { problem: `${path}: must be an http or https URL, not ${url.protocol}` };
    }
    case 'string':
      if (typeof value !== 'string') return { problem: `${path}: must be a string` };
      if (spec.one_of && !spec.one_of.includes(value)) return { problem: `${path}: must be one of ${spec.one_of.map((v) => `"${v}"`).join(', ')}, not "${value}"` };
      return { value };
  }
}

/**
 * Checks an output's `settings` against its kind: required ones present, each of its type, no
 * setting the kind does not have (a typo would otherwise be ignored silently), defaults filled in.
 * `previous` (an update) keeps a confidential setting sent back masked as it was.
 */
export function parseSettings(kind: OutputKind, raw: unknown, previous?: Settings): Parsed<Settings> {
  if (raw === undefined) raw = {};
  if (!isObject(raw)) return { ok: false, problems: ['settings: must be an object of the kind\'s settings (GET /v1/services lists them)'] };
  const problems: Problem[] = [];
  const known = new Set(kind.settings.map((s) => s.name));
  for (const name of Object.keys(raw)) {
    if (!known.has(name)) problems.push(`settings.${name}: the ${kind.name} output has no such setting; it has ${[...known].join(', ')}`);
  }
  const settings: Record<string, string | boolean | number | undefined> = {};
  for (const spec of kind.settings) {
    let value = raw[spec.name];
    if (spec.is_confidential && previous && typeof value === 'string' && value === maskValue(previous[spec.name])) value = previous[spec.name];
    if (value === undefined || value === null || value === '') {
      if (spec.is_required) problems.push(`settings.${spec.name}: required, ${spec.description.charAt(0).toLowerCase()}${spec.description.slice(1)}`);
      else settings[spec.name] = spec.default;
      continue;
    }
    const parsed = parseOne(spec, value, `settings.${spec.name}`);
    if ('problem' in parsed) problems.push(parsed.problem);
    else settings[spec.name] = parsed.value;
  }
  if (problems.length > 0) return { ok: false, problems };
  return kind.check ? kind.check(settings) : { ok: true, value: settings };
}

/** A confidential value as the Platform API shows it: stars, then its last four characters ("*********** Key"). */
export function maskValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const shown = value.length > 8 ? value.slice(-4) : '';
  return '*'.repeat(value.length - shown.length) + shown;
}

/** The settings as the API answers them: confidential values masked. */
export function maskedSettings(kind: OutputKind | undefined, settings: Settings): Settings {
  const masked: Record<string, string | boolean | number | undefined> = { ...settings };
  for (const spec of kind?.settings ?? []) if (spec.is_confidential && masked[spec.name] !== undefined) masked[spec.name] = maskValue(masked[spec.name]);
  return masked;
}
