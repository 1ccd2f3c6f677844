import type { OutputKind } from '../output.ts';
import { httpOutput } from './http-output.ts';
import { BRAZE_AUDIENCE_SETTINGS, brazeAudienceRequests } from './partners/braze-audience.ts';
import { BRAZE_MAX_BATCHES, BRAZE_SETTINGS, brazeTrackRequests } from './partners/braze.ts';
import { BRAZE_ARRAY_LIMIT } from './partners/braze-request.ts';

const eventNames = new Set(BRAZE_SETTINGS.map((s) => s.name));

/**
 * Braze's `/users/track` REST endpoint, as mParticle's Braze integrations map data: events
 * (attributes, events, purchases) from event connections, and audience membership (custom
 * attributes a Braze segment filters on) from audience connections, with one output's settings.
 */
export const braze: OutputKind = {
  name: 'braze',
  description: 'Sends your users\' attributes, events and purchases, and audience memberships, to Braze\'s /users/track, mapped as mParticle\'s Braze integrations map them.',
  settings: [...BRAZE_SETTINGS, ...BRAZE_AUDIENCE_SETTINGS.filter((s) => !eventNames.has(s.name))],
  audiences: true,
  open: (settings, options) =>
    httpOutput(settings, options, {
      maxBatches: BRAZE_MAX_BATCHES,
      batches: brazeTrackRequests,
      changes: { max: BRAZE_ARRAY_LIMIT, build: brazeAudienceRequests },
    }),
};
