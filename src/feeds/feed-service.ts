import { randomBytes } from 'node:crypto';
import { problem } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { InputDirectory } from '../platform/credentials.ts';
import type { FeedConfig, Input, PlatformStore } from '../platform/platform-store.ts';
import type { FeedContract } from './feed-contract.ts';
import { FeedInvalid, FeedModuleNotFound, FeedNotFound } from './feed-errors.ts';
import { FEED_MODULES, FEED_OS, type FeedModule, feedModuleNamed } from './feed-modules.ts';

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => typeof v === 'object' && v !== null && !Array.isArray(v);
const token = (bytes: number) => randomBytes(bytes).toString('hex');
const FIELDS = ['module_name', 'name', 'os', 'settings', 'is_debug'];
/** The Platform API's timestamps: ISO 8601 without the zone, as its examples show them. */
const createdOn = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '');

const DATA_TYPE = 'Partner Feed';
export const envelope = (data: unknown[]) => ({ data, data_type: DATA_TYPE, errors: null });

type FeedInput = Input & { feed: FeedConfig };
const isFeed = (i: Input): i is FeedInput => i.feed !== undefined;

/**
 * Partner feeds (Platform API v1): each feed is an input of its workspace with its own key and
 * secret (the secret shown only in the create response), created as one of the feed modules, acting
 * as a platform (`os`), its data development data when `is_debug`. Partners send Events API batches
 * with those credentials to `/s2s/v2/...` (or `/v2/...`), under the input's rate limit (429 with
 * `Retry-After` when too fast). Names are unique per workspace among its inputs.
 */
export class FeedService {
  constructor(
    private readonly store: PlatformStore,
    private readonly inputs: InputDirectory,
    private readonly options: {
      rateLimitPerSecond: number;
      now?: () => number;
      /** Told of the workspace and contract of every feed saved whose module has one (it puts the contract's plan there). */
      adopt?: (ws: WorkspaceId, contract: FeedContract) => void;
    },
  ) {}

  modules() {
    return FEED_MODULES.map(moduleView);
  }

  module(name: string) {
    const m = feedModuleNamed(name);
    if (!m) throw new FeedModuleNotFound(name, FEED_MODULES.map((f) => f.name));
    return moduleView(m);
  }

  list(ws: WorkspaceId) {
    return this.feedsOf([ws]).map((f) => ({ id: f.id, name: f.name, data_type: 'partner_feed', created_on: createdOn(f.feed.createdAtMs) }));
  }

  /** A feed of any of these workspaces (the caller's account's), with its settings; never its secret. */
  get(workspaces: readonly WorkspaceId[], id: number, where: string) {
    const f = this.feedsOf(workspaces).find((i) => i.id === id);
    if (!f) throw new FeedNotFound(id, where);
    return {
      module_name: f.feed.moduleName,
      name: f.name,
      os: f.feed.os,
      is_debug: f.feed.isDebug,
      settings: f.feed.settings,
      data_type: DATA_TYPE,
      id: f.id,
    };
  }

  /** Creates the feed's input; the answer carries its key and its secret, this once. */
  create(ws: WorkspaceId, body: unknown) {
    const config = this.parse(ws, body, undefined);
    const now = (this.options.now ?? Date.now)();
    const input = this.store.saveInput({
      workspaceId: ws,
      name: config.name,
      apiKey: `qf_${token(12)}`,
      apiSecret: token(24),
      rateLimitPerSecond: this.options.rateLimitPerSecond,
      allowKeyOnly: false,
      feed: { ...config.feed, createdAtMs: now },
    });
    this.inputs.reload();
    this.adopt(ws, config.feed.moduleName);
    return { data_type: DATA_TYPE, id: input.id, created_on: createdOn(now), access_keys: [{ key: input.apiKey, secret: input.apiSecret }] };
  }

  /** Replaces the feed's module, name, platform, settings and debug flag; its key and secret stay. */
  update(ws: WorkspaceId, id: number, body: unknown) {
    const current = this.feedsOf([ws]).find((i) => i.id === id);
    if (!current) throw new FeedNotFound(id, `workspace ${ws}`);
    const config = this.parse(ws, body, current);
    this.store.saveInput({ ...current, name: config.name, feed: { ...config.feed, createdAtMs: current.feed.createdAtMs } });
    this.inputs.reload();
    this.adopt(ws, config.feed.moduleName);
    return { data_type: DATA_TYPE, id, created_on: createdOn(current.feed.createdAtMs) };
  }

  /** Every workspace with a feed of a module that has a contract, with that contract: what must have its plan. */
  contracts(): { ws: WorkspaceId; contract: FeedContract }[] {
    const seen = new Map<string, { ws: WorkspaceId; contract: FeedContract }>();
    for (const f of this.store.inputs().filter(isFeed)) {
      const contract = feedModuleNamed(f.feed.moduleName)?.contract;
      if (contract) seen.set(`${f.workspaceId}:${contract.planId}`, { ws: f.workspaceId, contract });
    }
    return [...seen.values()];
  }

  private adopt(ws: WorkspaceId, moduleName: string): void {
    const contract = feedModuleNamed(moduleName)?.contract;
    if (contract) this.options.adopt?.(ws, contract);
  }

  private feedsOf(workspaces: readonly WorkspaceId[]): FeedInput[] {
    return this.store.inputs().filter((i): i is FeedInput => isFeed(i) && workspaces.includes(i.workspaceId));
  }

  private parse(ws: WorkspaceId, body: unknown, current: FeedInput | undefined): { name: string; feed: Omit<FeedConfig, 'createdAtMs'> } {
    if (!isBag(body)) throw new FeedInvalid([problem('The body must be an object with "module_name", "name" and "os".')]);
    const problems: string[] = Object.keys(body)
      .filter((k) => !FIELDS.includes(k))
      .map((k) => `${k}: not a field of a feed; a feed has ${FIELDS.join(', ')}.`);
    let module: FeedModule | undefined;
    if (typeof body.module_name !== 'string' || body.module_name.trim() === '') problems.push(`module_name: required, one of ${FEED_MODULES.map((m) => `"${m.name}"`).join(', ')}.`);
    else if (!(module = feedModuleNamed(body.module_name))) problems.push(`module_name: there is no feed module "${body.module_name}"; the modules are ${FEED_MODULES.map((m) => `"${m.name}"`).join(', ')} (GET /v1/feedmodules).`);
    const name = typeof body.name === 'string' ? body.name.trim() : '';
    if (name === '') problems.push('name: required, a name for the feed, unique in the workspace.');
    else if (this.store.inputs().some((i) => i.workspaceId === ws && i.name.toLowerCase() === name.toLowerCase() && i.id !== current?.id)) {
      problems.push(`name: the workspace already has an input named "${name}"; names are unique.`);
    }
    const os = typeof body.os === 'string' ? FEED_OS.find((o) => o.toLowerCase() === (body.os as string).toLowerCase()) : undefined;
    if (!os) problems.push(`os: ${JSON.stringify(body.os ?? null)} is not a platform a feed acts as; use one of ${FEED_OS.join(', ')}.`);
    if (body.is_debug !== undefined && typeof body.is_debug !== 'boolean') problems.push('is_debug: must be true or false.');
    const settings: { name: string; value: string | null }[] = [];
    if (body.settings !== undefined) {
      if (!Array.isArray(body.settings)) problems.push('settings: must be an array of {"name", "value"}.');
      else
        body.settings.forEach((s, i) => {
          const known = module?.settings.map((m) => m.name) ?? [];
          if (!isBag(s) || typeof s.name !== 'string') problems.push(`settings[${i}]: must be {"name", "value"}.`);
          else if (module && !known.includes(s.name)) problems.push(`settings[${i}].name: the ${module.name} module has no setting "${s.name}"${known.length ? `; it has ${known.join(', ')}` : '; it takes none'}.`);
          else settings.push({ name: s.name, value: s.value === null || s.value === undefined ? null : String(s.value) });
        });
    }
    if (problems.length > 0 || !module || !os) throw new FeedInvalid(problems.map(problem));
    return { name, feed: { moduleName: module.name, os, isDebug: body.is_debug === true, settings } };
  }
}

const moduleView = (m: FeedModule) => ({
  name: m.name,
  description: m.description,
  supported_identities: m.identities,
  settings: m.settings.map((s) => ({ is_required: s.is_required, name: s.name, description: s.description, type: 'String' })),
  data_type: 'feed_module',
});
