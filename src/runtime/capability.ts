import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import type { LiveStreamHub, LiveSubscriptions } from '../pipeline/live-stream.ts';
import type { Stage } from '../model/stage.ts';
import type { EventLog } from '../pipeline/event-log.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { RoutePlugin } from '../server/route-plugin.ts';
import type { Permission } from '../model/permissions.ts';
import type { TenantAuth } from '../server/tenant-scope.ts';

export type { RoutePlugin };

/**
 * The stores of every capability, by kind. Each capability adds its kinds from its module file
 * (declaration merging), and `storage/engines.ts` must then give each kind an adapter, or the
 * compiler says which is missing.
 *
 * @example
 *   declare module '../runtime/capability.ts' {
 *     interface StoreKinds { catalog: CatalogStore }
 *   }
 */
export interface StoreKinds {
  /** The event log: every capability's processor stages read it, the app thread appends to it. */
  log: EventLog;
}

/** Services capabilities share on the app thread, by name (added by declaration merging, as {@link StoreKinds}). */
export interface AppServices {
  /** The one check of every tenant route's caller (`tenantRoutes`); the platform capability provides it. */
  tenantAuth: TenantAuth;
}

/** Services capabilities share on the processor thread, by name. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface ProcessorServices {}

/**
 * What the processor thread serves to the app thread, by name: each an async function whose
 * arguments and result cross threads (structured clone), and whose coded errors arrive as such.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface ProcessorCalls {}

type AsyncFn = (...args: never[]) => Promise<unknown>;
type CallArgs<K extends keyof ProcessorCalls> = ProcessorCalls[K] extends (...args: infer A) => Promise<unknown> ? A : never;
type CallResult<K extends keyof ProcessorCalls> = ProcessorCalls[K] extends (...args: never[]) => Promise<infer R> ? R : never;

/** Something that runs in the background while Quanta serves (a poller, a worker). */
export interface Job {
  start(): void;
  /** Finishes what it is doing; the stores are closed after. */
  stop(): Promise<void>;
}

/**
 * How a capability erases users of a workspace from what it holds on one thread (a GDPR
 * erasure): its stores' rows of them and what it keeps of them in memory. Idempotent (an
 * erasure resumed after a crash runs it again); answers the rows (entries) it removed.
 *
 * @example
 *   ctx.eraser('profiles', async (ws, mpids) => {
 *     service.forget(ws, mpids);
 *     return store.eraseUsers(ws, mpids);
 *   });
 */
export type UserEraser = (ws: WorkspaceId, mpids: readonly Mpid[]) => Promise<number>;

/** What both threads' contexts offer. */
interface Context {
  readonly config: Readonly<Config>;
  readonly logger: Logger;
  /** This thread's Prometheus registry; `/metrics` shows the app's and the processor's. */
  readonly metrics: Registry;
  /** A store of this thread, opened on first ask (and migrated); the runtime closes it. */
  store<K extends keyof StoreKinds>(kind: K): Promise<StoreKinds[K]>;
  /** Runs when Quanta stops, in reverse order of registration, before the stores close. */
  onClose(close: () => Promise<void> | void): void;
  /**
   * Declares how this capability erases users from what it holds on this thread (see
   * {@link UserEraser}): every capability holding user data declares one on each thread it holds
   * it on. On the processor thread, erasers run in the processor's exclusive section.
   */
  eraser(name: string, erase: UserEraser): void;
  /**
   * Runs every eraser declared on this thread (by every capability, whatever its place), one
   * after another; answers the rows each removed, by eraser name. On the processor thread they run
   * with every partition loop paused at a record boundary and no flush in flight, and none of
   * these users' records runs afterwards (the log's tombstones must be written first).
   */
  eraseUsers(ws: WorkspaceId, mpids: readonly Mpid[]): Promise<Record<string, number>>;
}

/** A capability's view of the app thread, the one that answers requests. */
export interface AppContext extends Context {
  provide<K extends keyof AppServices>(name: K, service: AppServices[K]): void;
  /** A service a capability registered above this one provided; throws naming it otherwise. */
  use<K extends keyof AppServices>(name: K): AppServices[K];
  /** Registers a route plugin with the options (services) it uses. */
  routes<O>(plugin: RoutePlugin<O>, options: O): void;
  /**
   * Registers a route plugin whose routes all name a tenant (`/platform/v2/workspaces/:workspaceId/...`,
   * `/userprofile/v1/:orgId/:accountId/:workspaceId/...`, Platform API v1 with `?accountId=`), with
   * what they need of their caller (`permission`; a route may name its own in `config.permission`):
   * one hook checks the Bearer token, the permission and that the caller's scope holds that tenant,
   * before any route runs; the routes read the result with `callerOf(request)` (server/tenant-scope.ts).
   */
  tenantRoutes<O>(plugin: RoutePlugin<O>, options: O, permission: Permission): void;
  /** Calls what the processor thread serves (see {@link ProcessorContext.expose}). */
  call<K extends keyof ProcessorCalls>(name: K, ...args: CallArgs<K>): Promise<CallResult<K>>;
  /** Live stream subscriptions: the processor thread's hub matches and sends each message here. */
  readonly live: LiveSubscriptions;
  /** Starts once the listeners are up; stops first when Quanta stops. */
  job(job: Job): void;
}

/**
 * A capability's view of the processor thread (or of `quanta replay`, which runs the processor
 * in the CLI's process).
 */
export interface ProcessorContext extends Context {
  provide<K extends keyof ProcessorServices>(name: K, service: ProcessorServices[K]): void;
  use<K extends keyof ProcessorServices>(name: K): ProcessorServices[K];
  /** Adds a stage: stages run in the order capabilities are registered (src/capabilities.ts). */
  stage(stage: Stage): void;
  /** Serves a call to the app thread. */
  expose<K extends keyof ProcessorCalls>(name: K, call: ProcessorCalls[K] & AsyncFn): void;
  /** The live stream's hub: publish what watchers may see. */
  readonly live: LiveStreamHub;
  /** Runs after `quanta replay` rebuilt the derived stores from the log. */
  onReplayed(run: () => Promise<void>): void;
}

/**
 * One capability of Quanta: what it contributes to each thread. It lives in its own folder
 * (`src/<capability>/<capability>.module.ts`) and is registered by one line in
 * `src/capabilities.ts`. Stores it opens through the context are closed by the runtime; anything
 * else it starts it stops in `onClose` or as a {@link Job}.
 *
 * @example
 *   export const catalog: Capability = {
 *     name: 'catalog',
 *     async processor(ctx) {
 *       ctx.stage(catalogStage({ store: await ctx.store('catalog') }));
 *     },
 *     async app(ctx) {
 *       ctx.tenantRoutes(catalogRoutes, { catalog: await ctx.store('catalog'), activePlans: ... });
 *     },
 *   };
 */
export interface Capability {
  readonly name: string;
  app?(ctx: AppContext): void | Promise<void>;
  processor?(ctx: ProcessorContext): void | Promise<void>;
}
