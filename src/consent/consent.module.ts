import { Counter } from 'prom-client';
import type { PrivacySettingsReader } from '../privacy/subject-data.ts';
import type { Capability } from '../runtime/capability.ts';
import { ConsentPolicy } from './consent-policy.ts';
import type { ConsentStore } from './consent-store.ts';
import { applyGpc, gpcSignalled, type GpcRule } from './gpc.ts';
import { PrivacySettingsService } from './privacy-service.ts';
import { activeGpc } from './privacy-settings.ts';
import { privacyRoutes } from './privacy.routes.ts';

declare module '../runtime/capability.ts' {
  interface StoreKinds {
    /** Workspaces' privacy settings: regulations, GDPR purposes, erasure waiting period, GPC mapping. */
    consent: ConsentStore;
  }
  interface AppServices {
    /** Workspaces' privacy settings, read from memory (the DSR lifecycle's erasure waiting period). */
    privacySettings: PrivacySettingsReader;
    /** The workspace's GPC mapping applied to a request's batches (Web SDK and Events API routes). */
    gpc: GpcRule;
  }
  interface ProcessorServices {
    /** The consent rules the profile stage applies (defined GDPR purposes), refreshed per chunk. */
    consentPolicy: ConsentPolicy;
  }
}

/**
 * Data privacy controls (mParticle's): workspaces' privacy settings through the Platform API, the
 * rules the profile stage keeps consent by, and GPC signals at the edge. Consent itself lives on
 * the profile (profiles/), reaches outputs beside each record (`consent-view.ts`) and is read by
 * forwarding rules and audiences from there.
 */
export const consent: Capability = {
  name: 'consent',
  async processor(ctx) {
    const refusedTotal = new Counter({
      name: 'quanta_consent_refused_total',
      help: 'Consents of batches a profile did not take (a GDPR purpose the workspace has not defined, not a consent, ...), by regulation.',
      labelNames: ['regulation'] as const,
      registers: [ctx.metrics],
    });
    const policy = new ConsentPolicy(await ctx.store('consent'), {
      first: (ws, r) => ctx.logger.warn({ workspaceId: ws, regulation: r.regulation, purpose: r.purpose, why: r.why }, 'consent not applied to the profile'),
      each: (r) => refusedTotal.inc({ regulation: r.regulation }),
    });
    await policy.refresh();
    ctx.provide('consentPolicy', policy);
  },
  async app(ctx) {
    const privacy = await PrivacySettingsService.open(await ctx.store('consent'));
    ctx.provide('privacySettings', privacy);
    // Most requests carry no signal: the header is read before the settings.
    const gpc: GpcRule = (ws, headers, body) => (gpcSignalled(headers) ? applyGpc(body, activeGpc(privacy.settings(ws)), headers, Date.now()) : body);
    ctx.provide('gpc', gpc);
    ctx.tenantRoutes(privacyRoutes, { privacy }, { api: 'platform', area: 'privacy' });
  },
};
