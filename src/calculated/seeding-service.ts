import type { IdentityGraph } from '../identity/identity-graph.ts';
import type { Identities, IdentityType } from '../identity/identity-types.ts';
import { type ErrorDetail, problem } from '../kernel/errors.ts';
import { type Mpid, parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import { normalizeIdentityType } from '../model/identity-types.ts';
import type { Input } from '../platform/platform-store.ts';
import type { CalculatedStore } from './calculated-store.ts';
import type { Definition } from './definition.ts';
import { reviveDefinition } from './parse-definition.ts';
import { SeedBodyNotObject, SeedBulkEmpty, SeedBulkNotArray, SeedBulkTooMany, SeedRequestInvalid } from './seeding-errors.ts';
import { parseSeed, seedCalculationType } from './seeds.ts';
import { ownValue } from './values.ts';
import type { AttributeState } from './windows.ts';

/**
 * The device identity types the Seeding API page lists, and the IDSync identity each is (the
 * names `device_info` uses for them, as `identity/identity-types.ts` maps them).
 */
export const SEED_DEVICE_IDENTITIES: Readonly<Record<string, IdentityType>> = {
  android_id: 'android_uuid',
  google_advertising_id: 'android_aaid',
  ios_advertising_id: 'ios_idfa',
  ios_vendor_id: 'ios_idfv',
  roku_advertising_id: 'roku_aid',
  roku_publisher_id: 'roku_publisher_id',
  fire_advertising_id: 'fire_aid',
  microsoft_advertising_id: 'microsoft_aid',
  microsoft_publisher_id: 'microsoft_publisher_id',
};

const SEED_ENVIRONMENTS = ['production', 'development'] as const;
type SeedEnvironment = (typeof SEED_ENVIRONMENTS)[number];

/**
 * The write path, as the Seeding API uses it (`IngestService` is one, structurally): the
 * requests count against the input's Events API rate, and user attributes reach the profile as
 * batches in the log, so the processor applies them in order with the user's other data.
 */
export interface SeedingWritePath {
  /** Takes `cost` batches from the input's rate (429 when over); the percentage of it used. */
  takeRate(input: Input, cost: number): number;
  ingest(req: {
    input: Input;
    body: unknown;
    bodyBytes: number;
    bulk: boolean;
    channel: 'server_to_server';
    ip: string | null;
    internal: boolean;
  }): Promise<unknown>;
}

export interface SeedingServiceDeps {
  calculated: Pick<CalculatedStore, 'list' | 'putSeeds'>;
  /** IDSync's graph: users are looked up, never created. */
  graph: Pick<IdentityGraph, 'record' | 'search'>;
  write: SeedingWritePath;
  /** The Events API's: each user at most `batchBytes` (as a batch), at most `batchesPerBulk` users per bulk request. */
  limits: { batchBytes: number; batchesPerBulk: number };
  /** Seeds were stored: the users' values change (the processor puts them in the event store). */
  onSeeded?: (ws: WorkspaceId, seeds: readonly { id: number; mpid: Mpid }[]) => void;
}

export interface SeedingRequest {
  input: Input;
  /** The parsed JSON body: one user, or an array of them when `bulk`. */
  body: unknown;
  /** Size of the request body in bytes (Infinity when unknown). */
  bodyBytes: number;
  bulk: boolean;
  ip: string | null;
}

export interface SeedingResult {
  users: number;
  seeds: number;
  /** Users whose user attributes were sent on to the profile. */
  userAttributeUpdates: number;
  /** How much of the input's rate limit is used (`X-MP-Rate-Limit-Percentage-Used`); 0 without one. */
  rateLimitPercentUsed: number;
}

/** One user of a request, checked. */
interface SeedUser {
  mpid: Mpid;
  environment: SeedEnvironment;
  seeds: { id: number; state: AttributeState }[];
  userAttributes: Map<string, unknown> | undefined;
}

/** A calculated attribute as seeds are checked against it: its active definition, else its draft. */
interface SeedTarget {
  id: number;
  definition: Definition;
}

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => v !== null && typeof v === 'object' && !Array.isArray(v);
const absent = (v: unknown): boolean => v === undefined || v === null || v === '';

/**
 * mParticle's Calculated Attributes Seeding API: seeds of calculated attributes (and user
 * attributes) for known users, one user or up to 100. The whole request succeeds or fails:
 * every user, seed and user attribute is checked first and every problem named (seed problems as
 * "<CA name>: <message>"); then the request is counted against the input's Events API rate, the
 * user attributes are appended to the log, and the seeds stored, each replacing the user's
 * earlier seed of that attribute.
 *
 * @example
 *   await service.seed({ input, body: { environment: 'production', mpid: '42', calculated_attributes: { workspace: [...] } }, bodyBytes, bulk: false, ip });
 */
export class SeedingService {
  constructor(private readonly deps: SeedingServiceDeps) {}

  async seed(req: SeedingRequest): Promise<SeedingResult> {
    const { input } = req;
    const raw = this.usersOf(req);
    const targets = await this.targets(input.workspaceId);
    const problems: ErrorDetail[] = [];
    const users: SeedUser[] = [];
    raw.forEach((value, i) => {
      const found: string[] = [];
      const user = this.parseUser(input.workspaceId, targets, value, req, found);
      const suffix = req.bulk ? ` (user [${i}])` : '';
      problems.push(...found.map((message) => problem(`${message}${suffix}`)));
      if (user) users.push(user);
    });
    if (problems.length > 0) throw new SeedRequestInvalid(problems);

    const rateLimitPercentUsed = this.deps.write.takeRate(input, users.length);
    const withAttributes = users.filter((u) => u.userAttributes !== undefined && u.userAttributes.size > 0);
    if (withAttributes.length > 0) {
      // Already counted against the rate above: appended as Quanta's own (`internal`).
      await this.deps.write.ingest({
        input,
        body: withAttributes.map((u) => ({ environment: u.environment, mpid: u.mpid, user_attributes: Object.fromEntries(u.userAttributes!), events: [] })),
        bodyBytes: req.bodyBytes,
        bulk: true,
        channel: 'server_to_server',
        ip: req.ip,
        internal: true,
      });
    }
    const seeds = users.flatMap((u) => u.seeds.map((s) => ({ id: s.id, mpid: u.mpid, state: s.state })));
    if (seeds.length > 0) {
      await this.deps.calculated.putSeeds(input.workspaceId, seeds);
      this.deps.onSeeded?.(input.workspaceId, seeds.map(({ id, mpid }) => ({ id, mpid })));
    }
    return { users: users.length, seeds: seeds.length, userAttributeUpdates: withAttributes.length, rateLimitPercentUsed };
  }

  private usersOf(req: SeedingRequest): unknown[] {
    if (!req.bulk) {
      if (!isBag(req.body)) throw new SeedBodyNotObject();
      return [req.body];
    }
    if (!Array.isArray(req.body)) throw new SeedBulkNotArray();
    if (req.body.length === 0) throw new SeedBulkEmpty();
    const max = this.deps.limits.batchesPerBulk;
    if (req.body.length > max) throw new SeedBulkTooMany(req.body.length, max);
    return req.body;
  }

  /** The workspace's calculated attributes by name (exact), each with the definition seeds are checked against. */
  private async targets(ws: WorkspaceId): Promise<Map<string, SeedTarget>> {
    const targets = new Map<string, SeedTarget>();
    for (const a of await this.deps.calculated.list(ws)) {
      const stored = a.active_definition ?? a.draft_definition;
      if (stored) targets.set(a.name, { id: a.id, definition: reviveDefinition(stored) });
    }
    return targets;
  }

  private parseUser(ws: WorkspaceId, targets: ReadonlyMap<string, SeedTarget>, value: unknown, req: SeedingRequest, problems: string[]): SeedUser | undefined {
    const fail = (message: string): void => void problems.push(message);
    if (!isBag(value)) {
      fail('The user must be a JSON object.');
      return undefined;
    }
    const { batchBytes } = this.deps.limits;
    if (req.bodyBytes > batchBytes && JSON.stringify(value).length > batchBytes) {
      fail(`The user is larger than ${batchBytes / 1024} KB; send fewer seeds and user attributes for it.`);
      return undefined;
    }
    const environment = parseEnvironment(ownValue(value, 'environment'), fail);
    const mpid = this.findUser(ws, value, fail);
    const seeds = parseSeeds(targets, ownValue(value, 'calculated_attributes'), fail);
    const userAttributes = parseUserAttributes(ownValue(value, 'user_attributes'), fail);
    if (problems.length > 0 || !environment || !mpid || !seeds) return undefined;
    return { mpid, environment, seeds, userAttributes };
  }

  /** The user by `mpid` (when set, it wins) or by `identities`; only a user the workspace has. */
  private findUser(ws: WorkspaceId, user: Bag, fail: (message: string) => void): Mpid | undefined {
    const rawMpid = ownValue(user, 'mpid');
    if (!absent(rawMpid)) {
      const mpid = parseMpid(rawMpid);
      if (mpid === undefined) fail("Field 'mpid' must be a signed 64-bit integer, not zero.");
      else if (!this.deps.graph.record(ws, mpid)) fail(`No user has mpid ${mpid} in this workspace.`);
      else return mpid;
      return undefined;
    }
    const rawIdentities = ownValue(user, 'identities');
    if (absent(rawIdentities)) {
      fail("Field 'mpid' or 'identities' is required to find the user.");
      return undefined;
    }
    const known = parseIdentities(rawIdentities, fail);
    if (!known) return undefined;
    const found = this.deps.graph.search(ws, known);
    if (!found) {
      const named = Object.entries(rawIdentities as Bag).map(([type, v]) => `${type} ${JSON.stringify(v)}`).join(', ');
      fail(`No user of this workspace matches the identities ${named}.`);
      return undefined;
    }
    return found.mpid;
  }
}

function parseEnvironment(raw: unknown, fail: (message: string) => void): SeedEnvironment | undefined {
  if (absent(raw)) fail(`Field 'environment' is required: "production" or "development".`);
  else if (typeof raw !== 'string' || !(SEED_ENVIRONMENTS as readonly string[]).includes(raw)) {
    fail(`Field 'environment' must be "production" or "development", not ${JSON.stringify(raw)}.`);
  } else return raw as SeedEnvironment;
  return undefined;
}

/** `identities`: Events API user identity types and the page's device types, as IDSync names them. */
function parseIdentities(raw: unknown, fail: (message: string) => void): Identities | undefined {
  if (!isBag(raw)) {
    fail("Field 'identities' must be an object of identity types and values.");
    return undefined;
  }
  const known: Identities = {};
  let ok = true;
  for (const [key, value] of Object.entries(raw)) {
    const type: IdentityType | undefined = normalizeIdentityType(key) ?? (Object.hasOwn(SEED_DEVICE_IDENTITIES, key) ? SEED_DEVICE_IDENTITIES[key] : undefined);
    if (!type) {
      fail(`Identity type '${key}' is not supported; use an Events API user identity type or one of: ${Object.keys(SEED_DEVICE_IDENTITIES).join(', ')}.`);
      ok = false;
    } else if (typeof value !== 'string' || value === '') {
      fail(`Identity '${key}' must be a non-empty string.`);
      ok = false;
    } else known[type] = value;
  }
  if (ok && Object.keys(known).length === 0) {
    fail("Field 'identities' must hold at least one identity.");
    return undefined;
  }
  return ok ? known : undefined;
}

/** `calculated_attributes.workspace`: each seed checked against its attribute's definition. */
function parseSeeds(targets: ReadonlyMap<string, SeedTarget>, raw: unknown, fail: (message: string) => void): SeedUser['seeds'] | undefined {
  if (raw === undefined || raw === null) {
    fail("Field 'calculated_attributes' is required.");
    return undefined;
  }
  const list = ownValue(raw, 'workspace');
  if (!Array.isArray(list)) {
    fail("Field 'calculated_attributes.workspace' must be a list of calculated attribute seeds.");
    return undefined;
  }
  const seeds: SeedUser['seeds'] = [];
  const seen = new Set<number>();
  let ok = true;
  list.forEach((entry: unknown, j) => {
    const at = `calculated_attributes.workspace[${j}]`;
    const name = ownValue(entry, 'attribute_name');
    if (!isBag(entry)) fail(`Field '${at}' must be an object.`);
    else if (typeof name !== 'string' || name === '') fail(`Field '${at}.attribute_name' is required.`);
    else {
      const seed = parseOne(targets, name, entry, fail);
      if (seed && seen.has(seed.id)) fail(`${name}: Calculated attribute seeded more than once for this user`);
      else if (seed) {
        seen.add(seed.id);
        seeds.push(seed);
        return;
      }
    }
    ok = false;
  });
  return ok ? seeds : undefined;
}

function parseOne(targets: ReadonlyMap<string, SeedTarget>, name: string, entry: Bag, fail: (message: string) => void): SeedUser['seeds'][number] | undefined {
  const target = targets.get(name);
  if (!target) {
    fail(`${name}: No matching calculated attribute definition found`);
    return undefined;
  }
  const rawType = ownValue(entry, 'calculation_type');
  const type = seedCalculationType(rawType);
  const expected = target.definition.calculation_type;
  if (!type) {
    fail(`${name}: Invalid calculation type`);
    return undefined;
  }
  if (type !== expected) {
    fail(`${name}: Calculation type '${String(rawType)}' does not match the calculated attribute's calculation type '${expected}'`);
    return undefined;
  }
  // The page's table spells it `cuttoff_date`, its examples `cutoff_date`: either is read.
  const cutoff = ownValue(entry, 'cutoff_date') ?? ownValue(entry, 'cuttoff_date');
  const result = parseSeed(name, target.definition, ownValue(entry, 'seed'), cutoff);
  if (!result.ok) {
    for (const message of result.errors) fail(message);
    return undefined;
  }
  return { id: target.id, state: result.state };
}

/** `user_attributes.workspace`: `{ attribute_name, attribute_value }` pairs, later names winning. */
function parseUserAttributes(raw: unknown, fail: (message: string) => void): Map<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = ownValue(raw, 'workspace');
  if (!Array.isArray(list)) {
    fail("Field 'user_attributes' must be an object with a 'workspace' list of user attributes.");
    return undefined;
  }
  const attributes = new Map<string, unknown>();
  list.forEach((entry: unknown, j) => {
    const at = `user_attributes.workspace[${j}]`;
    const name = ownValue(entry, 'attribute_name');
    const value = ownValue(entry, 'attribute_value');
    if (!isBag(entry)) fail(`Field '${at}' must be an object.`);
    else if (typeof name !== 'string' || name === '') fail(`Field '${at}.attribute_name' is required.`);
    else if (!isAttributeValue(value)) fail(`Field '${at}.attribute_value' must be a string, a number, a boolean or a list of strings.`);
    else attributes.set(name, value);
  });
  return attributes;
}

function isAttributeValue(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
