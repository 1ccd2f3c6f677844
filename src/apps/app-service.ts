import { randomBytes } from 'node:crypto';
import { v1Time } from '../platform/v1-envelope.ts';
import { problem } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { KeyedQueue } from '../kernel/keyed-queue.ts';
import type { InputDirectory } from '../platform/credentials.ts';
import type { App, AppPlatformConfig, Input, PlatformStore } from '../platform/platform-store.ts';
import {
  AppHasPlatforms,
  AppInputNameTaken,
  AppLimitExceeded,
  AppNameMissing,
  AppNameTaken,
  AppNotFound,
  AppOsInvalid,
  AppPlatformExists,
  AppPlatformInvalid,
  AppPlatformNotFound,
  AppPlatformsMissing,
  PlatformAppNotFound,
} from './app-errors.ts';
import { APP_OS, type AppOs, CRASH_HANDLING, NETWORK_PERFORMANCE, oneOf, SOCIAL_MODE } from './app-platforms.ts';

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => typeof v === 'object' && v !== null && !Array.isArray(v);
const token = (bytes: number) => randomBytes(bytes).toString('hex');
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** An app platform input, with its configuration. */
export type PlatformInput = Input & { appPlatform: AppPlatformConfig };
const isPlatform = (i: Input): i is PlatformInput => i.appPlatform !== undefined;

/** The settings an app platform takes (`PUT /v1/apps/{id}/platforms/{os}`). */
type PlatformSettings = { -readonly [K in 'crashHandling' | 'networkPerformance' | 'socialMode' | 'profileMerging' | 'pushAttributionTimer']: AppPlatformConfig[K] };
/** What a platform has when created without them: mParticle's create-app example. */
const DEFAULT_SETTINGS: PlatformSettings = { crashHandling: null, networkPerformance: null, socialMode: null, profileMerging: true, pushAttributionTimer: 30 };

/** An app platform as v1 answers it; its secret only in the answer that made it. */
export function platformView(i: PlatformInput, withSecret = false) {
  const p = i.appPlatform;
  return {
    application_id: p.appId,
    os: p.os,
    access_keys: [{ key: i.apiKey, secret: withSecret ? i.apiSecret : null, data_type: 'token' }],
    crash_handling: p.crashHandling,
    network_performance: p.networkPerformance,
    social_mode: p.socialMode,
    profile_merging: p.profileMerging,
    push_attribution_timer: p.pushAttributionTimer,
    last_modified_on: v1Time(p.modifiedAtMs),
    data_type: 'platform',
    created_on: v1Time(p.createdAtMs),
  };
}

export interface AppServiceDeps {
  store: PlatformStore;
  /** Reloaded after every change of inputs, so ingest takes (or refuses) their keys at once. */
  inputs: InputDirectory;
  /** Each new input's batches-per-second limit. */
  rateLimitPerSecond: number;
  /** Deletes the connections of an input that is about to go. */
  dropConnections(ws: WorkspaceId, inputId: number): Promise<void>;
  /** The apps' writes of one workspace, one at a time: a platform's connections go before it does. */
  writes: KeyedQueue<WorkspaceId>;
  /** How many apps an account may have. */
  maxAppsPerAccount?: number;
  now?: () => number;
}

/**
 * The Platform API v1 apps and app platforms. An app is a named group of app platforms in one
 * workspace; each app platform is an input of that workspace with its own key and secret (the
 * secret answered only when it is made), so every ingest route (Events API, Web SDK, IDSync,
 * Segment's writeKey) takes its key and tags its data with its input. An app's name is unique
 * (any case) in its account, a platform once per app; its input is named "<app> <os>", unique in
 * the workspace. Calls name the workspaces the caller may reach; an app outside them is a 404.
 */
export class AppService {
  private readonly store: PlatformStore;
  private readonly now: () => number;

  constructor(private readonly deps: AppServiceDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
  }

  list(workspaces: readonly WorkspaceId[]) {
    return this.store.appsIn(workspaces).map((a) => this.appView(a));
  }

  get(workspaces: readonly WorkspaceId[], id: number) {
    return this.appView(this.find(workspaces, id));
  }

  /** Creates the app in `ws` with its platforms; the answer carries each platform's secret, this once. */
  create(ws: WorkspaceId, body: unknown) {
    const name = isBag(body) && typeof body.name === 'string' ? body.name.trim() : '';
    if (name === '') throw new AppNameMissing(false);
    const accountWorkspaces = this.store.workspacesOf(this.store.tenantOf(ws)!.accountId);
    const apps = this.store.appsIn(accountWorkspaces);
    if (apps.some((a) => same(a.name, name))) throw new AppNameTaken();
    const platforms = isBag(body) && Array.isArray(body.platforms) ? body.platforms : [];
    if (platforms.length === 0) throw new AppPlatformsMissing();
    const parsed = platforms.map((p) => this.parsePlatform(p, DEFAULT_SETTINGS, true));
    if (new Set(parsed.map((p) => p.os)).size < parsed.length) throw new AppPlatformExists();
    if (apps.length >= (this.deps.maxAppsPerAccount ?? 1000)) throw new AppLimitExceeded();
    for (const p of parsed) this.checkInputName(ws, `${name} ${p.os}`, undefined);
    const now = this.now();
    const app = this.store.saveApp({ workspaceId: ws, name, dataPoints: [], createdAtMs: now, modifiedAtMs: now });
    const created = parsed.map((p) => this.addInput(app, p.os, p.settings, now));
    this.deps.inputs.reload();
    return { ...this.appView(app), platforms: created.map((i) => platformView(i, true)) };
  }

  /** Renames the app, and its platforms' inputs with it. */
  rename(workspaces: readonly WorkspaceId[], id: number, body: unknown) {
    const app = this.find(workspaces, id);
    const name = isBag(body) && typeof body.name === 'string' ? body.name.trim() : '';
    if (name === '') throw new AppNameMissing(true);
    const accountWorkspaces = this.store.workspacesOf(this.store.tenantOf(app.workspaceId)!.accountId);
    if (this.store.appsIn(accountWorkspaces).some((a) => a.id !== id && same(a.name, name))) throw new AppNameTaken();
    const inputs = this.inputsOf(app);
    for (const i of inputs) this.checkInputName(app.workspaceId, `${name} ${i.appPlatform.os}`, i.id);
    const now = this.now();
    const renamed = this.store.saveApp({ ...app, name, modifiedAtMs: now });
    for (const i of inputs) this.store.saveInput({ ...i, name: `${name} ${i.appPlatform.os}` });
    this.deps.inputs.reload();
    return this.appView(renamed);
  }

  delete(workspaces: readonly WorkspaceId[], id: number): void {
    const app = this.find(workspaces, id);
    if (this.inputsOf(app).length > 0) throw new AppHasPlatforms();
    this.store.deleteApp(id);
  }

  platforms(workspaces: readonly WorkspaceId[], appId: number) {
    return this.inputsOf(this.find(workspaces, appId)).map((i) => platformView(i));
  }

  platform(workspaces: readonly WorkspaceId[], appId: number, os: string) {
    return platformView(this.platformInput(workspaces, appId, os));
  }

  /** Adds a platform to the app; the answer carries its secret, this once. */
  createPlatform(workspaces: readonly WorkspaceId[], appId: number, body: unknown) {
    const app = this.store.app(appId);
    if (!app || !workspaces.includes(app.workspaceId)) throw new PlatformAppNotFound();
    const { os, settings } = this.parsePlatform(body, DEFAULT_SETTINGS, true);
    if (this.inputsOf(app).some((i) => i.appPlatform.os === os)) throw new AppPlatformExists();
    this.checkInputName(app.workspaceId, `${app.name} ${os}`, undefined);
    const input = this.addInput(app, os, settings, this.now());
    this.deps.inputs.reload();
    return platformView(input, true);
  }

  /** Changes the settings the body names; the others, the key and the secret stay. */
  updatePlatform(workspaces: readonly WorkspaceId[], appId: number, os: string, body: unknown) {
    const input = this.platformInput(workspaces, appId, os);
    const { settings } = this.parsePlatform(body, input.appPlatform, false);
    const saved = this.store.saveInput({ ...input, appPlatform: { ...input.appPlatform, ...settings, modifiedAtMs: this.now() } }) as PlatformInput;
    this.deps.inputs.reload();
    return platformView(saved);
  }

  /** Deletes the platform's input and its connections: its key is refused from now on. */
  async deletePlatform(workspaces: readonly WorkspaceId[], appId: number, os: string): Promise<void> {
    const ws = this.platformInput(workspaces, appId, os).workspaceId;
    await this.deps.writes.run(ws, async () => {
      const input = this.platformInput(workspaces, appId, os);
      await this.deps.dropConnections(input.workspaceId, input.id);
      this.store.deleteInput(input.id);
      this.deps.inputs.reload();
    });
  }

  /** The app, if the caller may reach its workspace (a 404 otherwise). */
  find(workspaces: readonly WorkspaceId[], id: number): App {
    const app = this.store.app(id);
    if (!app || !workspaces.includes(app.workspaceId)) throw new AppNotFound(id);
    return app;
  }

  /** The app's platform inputs, in the order of the platform list. */
  inputsOf(app: App): PlatformInput[] {
    return this.store
      .inputs()
      .filter((i): i is PlatformInput => isPlatform(i) && i.appPlatform.appId === app.id && i.workspaceId === app.workspaceId)
      .sort((a, b) => APP_OS.indexOf(a.appPlatform.os as AppOs) - APP_OS.indexOf(b.appPlatform.os as AppOs));
  }

  /** The app's platform named in a path (`android`, any case), a 404 if it has none. */
  platformInput(workspaces: readonly WorkspaceId[], appId: number, os: string): PlatformInput {
    const app = this.find(workspaces, appId);
    const input = this.inputsOf(app).find((i) => same(i.appPlatform.os, os));
    if (!input) throw new AppPlatformNotFound(appId, os);
    return input;
  }

  private appView(app: App) {
    return {
      name: app.name,
      platforms: this.inputsOf(app).map((i) => platformView(i)),
      last_modified_on: v1Time(app.modifiedAtMs),
      data_type: 'application',
      id: app.id,
      created_on: v1Time(app.createdAtMs),
    };
  }

  private addInput(app: App, os: AppOs, settings: PlatformSettings, now: number): PlatformInput {
    return this.store.saveInput({
      workspaceId: app.workspaceId,
      name: `${app.name} ${os}`,
      apiKey: `qa_${token(12)}`,
      apiSecret: token(24),
      rateLimitPerSecond: this.deps.rateLimitPerSecond,
      // The Web SDK calls IDSync with the key alone (it holds no secret); apps' SDKs sign with theirs.
      allowKeyOnly: os === 'MobileWeb',
      appPlatform: { appId: app.id, os, ...settings, createdAtMs: now, modifiedAtMs: now },
    }) as PlatformInput;
  }

  /** `saveInput` would update another input of that name in place: names are checked first. */
  private checkInputName(ws: WorkspaceId, name: string, own: number | undefined): void {
    if (this.store.inputs().some((i) => i.workspaceId === ws && i.id !== own && same(i.name, name))) throw new AppInputNameTaken(name);
  }

  /**
   * A platform's body: `os` (when `withOs`) and the settings it names over `current`; other
   * fields are ignored, so a platform read with GET may be sent back.
   */
  private parsePlatform(body: unknown, current: PlatformSettings, withOs: true): { os: AppOs; settings: PlatformSettings };
  private parsePlatform(body: unknown, current: PlatformSettings, withOs: false): { settings: PlatformSettings };
  private parsePlatform(body: unknown, current: PlatformSettings, withOs: boolean): { os?: AppOs; settings: PlatformSettings } {
    const raw: Bag = isBag(body) ? body : {};
    const os = withOs ? oneOf(APP_OS, raw.os) : undefined;
    if (withOs && !os) throw new AppOsInvalid();
    const problems: string[] = [];
    const choice = <T extends string>(field: string, values: readonly T[], fallback: string | null): string | null => {
      if (raw[field] === undefined) return fallback;
      if (raw[field] === null) return null;
      const value = oneOf(values, raw[field]);
      if (value === undefined) problems.push(`${field}: ${JSON.stringify(raw[field])} is not one of ${values.map((v) => `"${v}"`).join(', ')}.`);
      return value ?? fallback;
    };
    const settings: PlatformSettings = {
      crashHandling: choice('crash_handling', CRASH_HANDLING, current.crashHandling),
      networkPerformance: choice('network_performance', NETWORK_PERFORMANCE, current.networkPerformance),
      socialMode: choice('social_mode', SOCIAL_MODE, current.socialMode),
      profileMerging: current.profileMerging,
      pushAttributionTimer: current.pushAttributionTimer,
    };
    if (raw.profile_merging !== undefined) {
      if (typeof raw.profile_merging !== 'boolean') problems.push('profile_merging: must be true or false.');
      else settings.profileMerging = raw.profile_merging;
    }
    if (raw.push_attribution_timer !== undefined) {
      const t = raw.push_attribution_timer;
      if (!Number.isSafeInteger(t) || (t as number) < 0) problems.push('push_attribution_timer: must be a whole number of minutes, 0 or more.');
      else settings.pushAttributionTimer = t as number;
    }
    if (problems.length > 0) throw new AppPlatformInvalid(problems.map(problem));
    return os ? { os, settings } : { settings };
  }
}
