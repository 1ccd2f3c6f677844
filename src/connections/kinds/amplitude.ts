import type { OutputKind } from '../output.ts';
import { httpOutput } from './http-output.ts';
import { AMPLITUDE_MAX_BATCHES, AMPLITUDE_SETTINGS, amplitudeRequests } from './partners/amplitude.ts';

/** Amplitude's HTTP V2 API (`/2/httpapi`), mapped as mParticle's Amplitude event integration maps its data. */
export const amplitude: OutputKind = {
  name: 'amplitude',
  description: 'Sends your events to Amplitude through its HTTP V2 API, mapped as mParticle\'s Amplitude integration maps them.',
  settings: AMPLITUDE_SETTINGS,
  open: (settings, options) => httpOutput(settings, options, { maxBatches: AMPLITUDE_MAX_BATCHES, batches: amplitudeRequests }),
};
