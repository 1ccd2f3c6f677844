import { type ErrorDetail, problem } from '../kernel/errors.ts';
import { parseJsonLossless } from '../kernel/lossless-json.ts';
import { type Mpid, parseMpid } from '../kernel/ids.ts';
import {
  DSR_VERSIONS,
  type DsrIdentity,
  type DsrIdentityType,
  type DsrSubmission,
  type DsrVersion,
  EXTENSION_IDENTITY_TYPES,
  IDENTITY_TYPE_ALIASES,
  MAX_IDENTITIES,
  RAW,
  REGULATIONS,
  type Regulation,
  REQUEST_TYPES,
  type RequestType,
  SUBJECT_IDENTITY_TYPES,
} from './dsr.ts';
import { DsrMpidNotAlone, DsrRequestInvalid } from './dsr-errors.ts';
import { isJsonObject } from '../kernel/json-object.ts';

/** mParticle's extension of the OpenDSR request. */
export const MPARTICLE_EXTENSION = 'opendsr.mparticle.com';
/** Callback URLs a request may name, at most. */
export const MAX_CALLBACK_URLS = 10;
export const MAX_GROUP_ID_LENGTH = 255;
const MAX_VALUE_LENGTH = 1024;

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Whether a text is a UUID v4, as `subject_request_id` must be. */
export const isUuidV4 = (text: string) => UUID_V4.test(text);

type Json = Record<string, unknown>;
const names = (table: object) => Object.keys(table).join(', ');

/**
 * v2's `mpids` are JSON numbers of up to 19 digits, which `JSON.parse` rounds: their digits are
 * quoted first (a quoted key cannot occur inside a JSON string, so only real keys are touched).
 */
const MPIDS_ARRAY = /(?<!\\)"mpids"(\s*:\s*)\[([\s\d,-]*)\]/g;
const quoteMpids = (raw: string) =>
  raw.includes('"mpids"') ? raw.replace(MPIDS_ARRAY, (_m, sep: string, items: string) => `"mpids"${sep}[${items.replace(/-?\d+/g, '"$&"')}]`) : raw;

/** What one request's parse gathers, and the problems it found. */
class Reading {
  readonly problems: ErrorDetail[] = [];
  readonly identities: DsrIdentity[] = [];
  readonly mpids: Mpid[] = [];
  /** Where each identity type came from, so one type given twice is named. */
  private readonly seen = new Map<string, string>();

  fail(message: string): undefined {
    this.problems.push(problem(message));
    return undefined;
  }

  /** An identity type of `subject_identities`, or of the extension (which takes either table's). */
  type(text: unknown, at: string, inExtension: boolean): DsrIdentityType | undefined {
    if (typeof text !== 'string' || text === '') return this.fail(`${at} must be an identity type.`);
    const type = IDENTITY_TYPE_ALIASES[text] ?? text;
    if (type in SUBJECT_IDENTITY_TYPES) return type as DsrIdentityType;
    if (type in EXTENSION_IDENTITY_TYPES) {
      if (inExtension) return type as DsrIdentityType;
      return this.fail(`${at}: "${text}" goes in the ${MPARTICLE_EXTENSION} extension's identities, not in subject_identities.`);
    }
    const allowed = inExtension ? `${names(EXTENSION_IDENTITY_TYPES)}, mpid, or one of ${names(SUBJECT_IDENTITY_TYPES)}` : names(SUBJECT_IDENTITY_TYPES);
    return this.fail(`${at}: "${text}" is not a supported identity type; use ${allowed}.`);
  }

  /** Adds an identity whose value and encoding (`raw` only) are checked; `encoding` undefined is allowed where `optional`. */
  add(type: DsrIdentityType | undefined, value: unknown, encoding: unknown, at: string, encodingField: string, optional: boolean): void {
    if (encoding === undefined ? !optional : encoding !== RAW) {
      this.fail(`${at}.${encodingField} must be "${RAW}": mParticle accepts raw identity values only.`);
    }
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_VALUE_LENGTH) {
      this.fail(`${at}'s value must be a non-empty string of at most ${MAX_VALUE_LENGTH} characters.`);
      return;
    }
    if (!type) return;
    this.identities.push({ type, value });
  }

  /** v3's dictionaries allow one identity per type, over `subject_identities` and the extension together. */
  once(type: string, at: string): boolean {
    const earlier = this.seen.get(type);
    if (earlier) return this.fail(`${at} gives identity type ${type} again (already in ${earlier}); send each type once.`) ?? false;
    this.seen.set(type, at);
    return true;
  }

  mpid(value: unknown, at: string): void {
    const mpid = parseMpid(value);
    if (mpid === undefined) this.fail(`${at} must be an MPID: a signed 64-bit integer other than 0, as a number or a string of digits.`);
    else this.mpids.push(mpid);
  }
}

/** v1 and v2's identities: an array of `{identity_type, identity_value, identity_format}`. */
function readIdentityList(r: Reading, list: unknown, at: string, inExtension: boolean): void {
  if (!Array.isArray(list)) return void r.fail(`${at} must be an array of {identity_type, identity_value, identity_format}.`);
  list.forEach((item, i) => {
    const here = `${at}[${i}]`;
    if (!isJsonObject(item)) return void r.fail(`${here} must be an object {identity_type, identity_value, identity_format}.`);
    r.add(r.type(item.identity_type, `${here}.identity_type`, inExtension), item.identity_value, item.identity_format, here, 'identity_format', inExtension);
  });
}

/** v3's identities: a dictionary `{type: {value, encoding}}`; the extension's may hold `mpid`. */
function readIdentityDictionary(r: Reading, dict: unknown, at: string, inExtension: boolean): void {
  if (!isJsonObject(dict)) return void r.fail(`${at} must be an object whose keys are identity types and values {value, encoding}.`);
  for (const [key, item] of Object.entries(dict)) {
    const here = `${at}.${key}`;
    if (!isJsonObject(item)) {
      r.fail(`${here} must be an object {value, encoding}.`);
      continue;
    }
    if (!r.once(IDENTITY_TYPE_ALIASES[key] ?? key, here)) continue;
    if (inExtension && key === 'mpid') {
      if (item.encoding !== undefined && item.encoding !== RAW) r.fail(`${here}.encoding must be "${RAW}".`);
      r.mpid(item.value, `${here}.value`);
      continue;
    }
    r.add(r.type(key, here, inExtension), item.value, item.encoding, here, 'encoding', inExtension);
  }
}

function readMparticleExtension(r: Reading, version: DsrVersion, ext: unknown): boolean | undefined {
  const at = `extensions["${MPARTICLE_EXTENSION}"]`;
  if (!isJsonObject(ext)) return r.fail(`${at} must be an object.`);
  if (version === 'v3') {
    if (ext.subject_identities !== undefined) readIdentityDictionary(r, ext.subject_identities, `${at}.subject_identities`, true);
    if (ext.skip_waiting_period === undefined) return undefined;
    if (typeof ext.skip_waiting_period !== 'boolean') return r.fail(`${at}.skip_waiting_period must be true or false.`);
    return ext.skip_waiting_period;
  }
  if (ext.mpids !== undefined) {
    if (!Array.isArray(ext.mpids)) r.fail(`${at}.mpids must be an array of MPIDs.`);
    else ext.mpids.forEach((m, i) => r.mpid(m, `${at}.mpids[${i}]`));
  }
  if (ext.identities !== undefined) readIdentityList(r, ext.identities, `${at}.identities`, true);
  return undefined;
}

function readCallbackUrls(r: Reading, urls: unknown): string[] {
  if (urls === undefined || urls === null) return [];
  if (!Array.isArray(urls) || urls.length > MAX_CALLBACK_URLS) return r.fail(`status_callback_urls must be an array of at most ${MAX_CALLBACK_URLS} URLs.`) ?? [];
  return urls.filter((url, i) => {
    let ok = false;
    try {
      ok = typeof url === 'string' && ['http:', 'https:'].includes(new URL(url).protocol);
    } catch {
      ok = false;
    }
    if (!ok) r.fail(`status_callback_urls[${i}] must be an absolute http or https URL.`);
    return ok;
  }) as string[];
}

function readBody(raw: string): Json {
  let body: unknown;
  try {
    body = parseJsonLossless(quoteMpids(raw));
  } catch (error) {
    throw new DsrRequestInvalid([problem(`The request body is not valid JSON: ${(error as Error).message}.`)]);
  }
  if (!isJsonObject(body)) throw new DsrRequestInvalid([problem('The request body must be a JSON object (an OpenDSR request).')]);
  return body;
}

/**
 * Reads an OpenDSR request of one version (v1: OpenGDPR, identities as an array, no
 * `regulation`; v2: `regulation` required, extension with `mpids` and `identities`; v3:
 * identities as a dictionary, extension with `subject_identities` and `skip_waiting_period`).
 * Throws a 400 naming every problem, or v3's "If an mpid is provided, it must be the only
 * identity in the request."
 *
 * @example
 *   const submission = parseDsrRequest('v3', request.rawBody);
 */
export function parseDsrRequest(version: DsrVersion, raw: string): DsrSubmission {
  const body = readBody(raw);
  const r = new Reading();
  const id = body.subject_request_id;
  if (typeof id !== 'string' || !isUuidV4(id)) r.fail('subject_request_id is required: a UUID v4 the controller makes for the request.');
  const type = body.subject_request_type;
  if (!(REQUEST_TYPES as readonly unknown[]).includes(type)) r.fail(`subject_request_type is required: one of ${REQUEST_TYPES.join(', ')}.`);
  const submitted = body.submitted_time;
  if (typeof submitted !== 'string' || !ISO_8601.test(submitted) || !Number.isFinite(Date.parse(submitted))) {
    r.fail('submitted_time is required: an ISO 8601 date-time, e.g. 2021-11-01T15:00:00Z.');
  }
  let regulation: Regulation | null = null;
  if (version !== 'v1') {
    if ((REGULATIONS as readonly unknown[]).includes(body.regulation)) regulation = body.regulation as Regulation;
    else r.fail(`regulation is required: ${REGULATIONS.join(' or ')}.`);
  }
  if (body.api_version !== undefined && body.api_version !== DSR_VERSIONS[version]) {
    r.fail(`api_version must be "${DSR_VERSIONS[version]}" on this endpoint.`);
  }
  const groupId = body.group_id ?? null;
  if (groupId !== null && (typeof groupId !== 'string' || groupId.length > MAX_GROUP_ID_LENGTH)) {
    r.fail(`group_id must be a string of at most ${MAX_GROUP_ID_LENGTH} characters.`);
  }
  const statusCallbackUrls = readCallbackUrls(r, body.status_callback_urls);

  let skip = false;
  if (version === 'v3' && body.skip_waiting_period !== undefined) {
    if (typeof body.skip_waiting_period === 'boolean') skip = body.skip_waiting_period;
    else r.fail('skip_waiting_period must be true or false.');
  }
  if (body.subject_identities !== undefined) {
    if (version === 'v3') readIdentityDictionary(r, body.subject_identities, 'subject_identities', false);
    else readIdentityList(r, body.subject_identities, 'subject_identities', false);
  }
  const extensions = body.extensions;
  if (extensions !== undefined && extensions !== null) {
    if (!isJsonObject(extensions)) r.fail('extensions must be an object keyed by processor domain.');
    else if (extensions[MPARTICLE_EXTENSION] !== undefined) skip = readMparticleExtension(r, version, extensions[MPARTICLE_EXTENSION]) ?? skip;
  }
  const count = r.identities.length + r.mpids.length;
  if (count === 0 && r.problems.length === 0) {
    r.fail(`Send at least one identity, in subject_identities or in the ${MPARTICLE_EXTENSION} extension.`);
  }
  if (count > MAX_IDENTITIES) r.fail(`A request may carry at most ${MAX_IDENTITIES} identities; this one has ${count}.`);
  if (r.problems.length > 0) throw new DsrRequestInvalid(r.problems);
  if (version === 'v3' && r.mpids.length > 0 && count > 1) throw new DsrMpidNotAlone();
  return {
    version,
    subjectRequestId: (id as string).toLowerCase(),
    requestType: type as RequestType,
    regulation,
    submittedTime: submitted as string,
    identities: r.identities,
    mpids: r.mpids,
    statusCallbackUrls,
    groupId: groupId as string | null,
    skipWaitingPeriod: type === 'erasure' && skip,
    raw,
  };
}
