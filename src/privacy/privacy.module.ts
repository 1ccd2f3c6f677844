import type { WorkspaceId } from '../kernel/ids.ts';
import { RateLimiter } from '../platform/rate-limiter.ts';
import type { AppContext, Capability } from '../runtime/capability.ts';
import type { SubjectCollector } from './subject-data.ts';
import { join } from 'node:path';
import { PROFILE_FIELDS } from '../profiles/profile-api.ts';
import { ProfileNotFound } from '../profiles/profile-errors.ts';
import { AccessExport, RESULTS_FOLDER } from './access-export.ts';
import { dsrAuthenticator } from './dsr-auth.ts';
import { CallbackSender } from './dsr-callbacks.ts';
import { dsrMetrics } from './dsr-metrics.ts';
import { DsrRunner, type DsrPorts } from './dsr-runner.ts';
import { DsrScheduler } from './dsr-scheduler.ts';
import { DsrService } from './dsr-service.ts';
import { DsrSigner } from './dsr-signing.ts';
import type { DsrStore } from './dsr-store.ts';
import { openDsrRoutes } from './opendsr.routes.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    /** Data subject requests and their status callbacks. */
    dsr: DsrStore;
  }
  interface AppServices {
    /** Runs due data subject requests and sends their callbacks (tests run it with `runDue`). */
    dsrScheduler: DsrScheduler;
    /** The DSR API's requests (submit, status, cancel...). */
    dsrRequests: DsrService;
  }
}

/** What a test may set instead of the real ports, clock and settings. */
export interface PrivacyOptions {
  ports?: Partial<DsrPorts>;
  waitingPeriodMs?: (ws: WorkspaceId) => number;
  now?: () => number;
}

/** The ports of a running Quanta: the erasure engine, the access export, the outputs' erasure forwarding. */
function portsOf(ctx: AppContext, given: Partial<DsrPorts>): DsrPorts {
  return {
    eraser: given.eraser ?? ctx.use('subjectEraser'),
    collector: given.collector ?? accessExportOf(ctx),
    forwarder: given.forwarder ?? ctx.use('erasureForwarder'),
  };
}

/**
 * The app thread's {@link AccessExport}: profiles as the Profile API shows them (calculated
 * attributes and audience memberships included, asked of the processor thread) with the
 * profile's consent state, batches from the event store (`events.batchesOf`), results in
 * `<dataDir>/dsr-results`.
 */
export function accessExportOf(ctx: AppContext): SubjectCollector {
  const profileApi = ctx.use('profileApi');
  const events = ctx.use('events');
  const profiles = ctx.store('profiles');
  const fields = new Set(PROFILE_FIELDS);
  return new AccessExport({
    dir: join(ctx.config.dataDir, RESULTS_FOLDER),
    batchesOf: (ws, mpid, after, limit) => events.batchesOf(ws, mpid, after, limit),
    async profileOf(ws, mpid) {
      let body: Record<string, unknown>;
      try {
        body = await profileApi.byMpid(ws, mpid, fields);
      } catch (error) {
        if (error instanceof ProfileNotFound) return undefined;
        throw error;
      }
      const stored = await (await profiles).get(ws, mpid);
      return { ...body, consent_state: stored?.consentState ?? { gdpr: {}, ccpa: {} } };
    },
  });
}

/**
 * Data subject requests (mParticle's DSR API, OpenDSR v1 to v3): the routes, the store, Quanta's
 * signing key and certificate, and the lifecycle's job (waiting period, resolution through IDSync,
 * erasure and its forwarding, access results, signed status callbacks, a year's retention).
 * Registered last: it uses the services of every capability that holds user data.
 */
export function privacyCapability(options: PrivacyOptions = {}): Capability {
  return {
    name: 'privacy',
    async app(ctx) {
      const { config } = ctx;
      const now = options.now ?? Date.now;
      const store = await ctx.store('dsr');
      const signer = await DsrSigner.load(config.dataDir, config.dsr.processorDomain, now);
      const settings = options.waitingPeriodMs ? undefined : ctx.use('privacySettings');
      const waitingPeriodMs = options.waitingPeriodMs ?? ((ws: WorkspaceId) => settings!.erasureWaitingPeriodMs(ws));
      const metrics = dsrMetrics(ctx.metrics, store);
      const service = new DsrService({ store, publicUrl: config.publicUrl, waitingPeriodMs, now, onStatus: metrics.onStatus });
      const runner = new DsrRunner({
        ...portsOf(ctx, options.ports ?? {}),
        store,
        graph: ctx.use('graph'),
        publicUrl: config.publicUrl,
        logger: ctx.logger,
        now,
        retryBaseMs: config.dsr.retryBaseMs,
        onStatus: metrics.onStatus,
      });
      const callbacks = new CallbackSender({
        store,
        signer,
        logger: ctx.logger,
        now,
        retryBaseMs: config.dsr.retryBaseMs,
        attempts: config.dsr.callbackAttempts,
        timeoutMs: config.dsr.callbackTimeoutMs,
        onOutcome: metrics.onCallback,
      });
      const scheduler = new DsrScheduler({ store, runner, callbacks, logger: ctx.logger, now, pollMs: config.dsr.pollMs });
      ctx.provide('dsrRequests', service);
      ctx.provide('dsrScheduler', scheduler);
      ctx.job(scheduler);
      ctx.routes(openDsrRoutes, {
        service,
        authenticate: dsrAuthenticator(ctx.use('inputs'), ctx.use('access')),
        signer,
        publicUrl: config.publicUrl,
        limiter: new RateLimiter(now),
        limits: { requestsPerMinute: config.dsr.requestsPerMinute, newRequestsPerDay: config.dsr.newRequestsPerDay },
      });
    },
  };
}

export const privacy = privacyCapability();
