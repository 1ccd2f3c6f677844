import { Ajv, type ValidateFunction } from 'ajv';
import { type ErrorDetail, problem } from '../kernel/errors.ts';
import { type Mpid, parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import type { IdentityChangeRequest, IdentityGraph, IdSyncRequest } from './identity-graph.ts';
import { IdentityRequestInvalid, IdentityTypeUnknown, KnownIdentitiesEmpty, MpidInvalid, MpidUnknown, NoMatchingUser } from './identity-errors.ts';
import { fromApiName, type Identities, toApiName } from './identity-types.ts';

/** The body `identify`, `login`, `logout` and `search` answer with (Identity API reference). */
export interface IdentityResponse {
  context: string | null;
  mpid: string;
  matched_identities: Record<string, string>;
  is_ephemeral: boolean;
  is_logged_in: boolean;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const base = {
  client_sdk: { type: ['object', 'null'] },
  context: { type: ['string', 'null'] },
  environment: { enum: ['production', 'development'] },
  request_id: { type: ['string', 'null'] },
  request_timestamp_ms: { type: ['integer', 'null'] },
};
const validateIdentify = ajv.compile({
  type: 'object',
  required: ['environment', 'known_identities'],
  properties: {
    ...base,
    previous_mpid: { type: ['string', 'integer', 'null'] },
    known_identities: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
  },
});
const validateModify = ajv.compile({
  type: 'object',
  required: ['environment', 'identity_changes'],
  properties: {
    ...base,
    identity_changes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['identity_type'],
        properties: { identity_type: { type: 'string' }, old_value: { type: ['string', 'null'] }, new_value: { type: ['string', 'null'] } },
      },
    },
  },
});

function check(validate: ValidateFunction, body: unknown): void {
  if (validate(body)) return;
  throw new IdentityRequestInvalid(
    (validate.errors ?? []).map((e) =>
      problem(`${e.instancePath ? `Field "${e.instancePath.slice(1).replaceAll('/', '.')}"` : 'The body'} ${e.message ?? 'is invalid'}.`),
    ),
  );
}

function unknownType(key: string): ErrorDetail {
  return problem(`"${key}" is not an identity type of the Identity API.`);
}

/** Reads `known_identities`, naming every unknown identity type. */
function knownIdentities(raw: Record<string, string | null>, allowEmpty: boolean): Identities {
  const known: Identities = {};
  const problems: ErrorDetail[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const type = fromApiName(key);
    if (!type) problems.push(unknownType(key));
    else if (value !== null && value !== '') known[type] = value;
  }
  if (problems.length > 0) throw new IdentityTypeUnknown(problems);
  if (!allowEmpty && Object.keys(known).length === 0) throw new KnownIdentitiesEmpty();
  return known;
}

function toApi(ids: Identities): Record<string, string> {
  return Object.fromEntries(Object.entries(ids).map(([t, v]) => [toApiName(t as keyof Identities), v as string]));
}

/** The Identity HTTP API over the graph: parses wire bodies, answers in the documented shape. */
export class IdentityApi {
  constructor(private readonly graph: IdentityGraph) {}

  /** Identify, login or logout; with `readOnly`, what it would answer, changing nothing. */
  async resolve(ws: WorkspaceId, operation: 'identify' | 'login' | 'logout', body: unknown, options: { readOnly?: boolean } = {}): Promise<IdentityResponse> {
    check(validateIdentify, body);
    const b = body as { known_identities: Record<string, string | null>; previous_mpid?: string | number | null; request_id?: string | null };
    const request: IdSyncRequest = {
      operation,
      source: 'identity_api',
      known: knownIdentities(b.known_identities, operation === 'logout'),
      previousMpid: parseMpid(b.previous_mpid ?? undefined),
      requestId: b.request_id ?? null,
    };
    const r = options.readOnly ? this.graph.preview(ws, request) : await this.graph.resolve(ws, request);
    return { context: null, mpid: r.mpid, matched_identities: toApi(r.matched), is_ephemeral: false, is_logged_in: r.isLoggedIn };
  }

  search(ws: WorkspaceId, body: unknown): IdentityResponse {
    check(validateIdentify, body);
    const known = knownIdentities((body as { known_identities: Record<string, string | null> }).known_identities, false);
    const found = this.graph.search(ws, known);
    if (!found) throw new NoMatchingUser();
    return { context: null, mpid: found.mpid, matched_identities: toApi(found.matched), is_ephemeral: false, is_logged_in: false };
  }

  async modify(ws: WorkspaceId, mpidText: string, body: unknown): Promise<Record<string, never>> {
    const mpid = parseMpid(mpidText);
    if (!mpid) throw new MpidInvalid(mpidText);
    check(validateModify, body);
    const raw = (body as { identity_changes: { identity_type: string; old_value?: string | null; new_value?: string | null }[]; request_id?: string | null });
    const problems: ErrorDetail[] = [];
    const changes: IdentityChangeRequest[] = [];
    for (const c of raw.identity_changes) {
      const type = fromApiName(c.identity_type);
      if (!type) problems.push(unknownType(c.identity_type));
      else changes.push({ type, oldValue: c.old_value ?? null, newValue: c.new_value === '' ? null : (c.new_value ?? null) });
    }
    if (problems.length > 0) throw new IdentityTypeUnknown(problems);
    if (!(await this.graph.modify(ws, mpid as Mpid, changes, raw.request_id ?? null))) throw new MpidUnknown(mpid);
    return {};
  }
}
