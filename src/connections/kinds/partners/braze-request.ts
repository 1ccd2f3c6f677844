import type { HttpRequest } from '../../http-send.ts';
import type { SettingSpec } from '../../output.ts';
import { IDENTITY_CHOICES } from './identity-choice.ts';
import { withoutDollar } from './reserved-attributes.ts';

/**
 * Braze's `POST /users/track`: `{attributes, events, purchases}`, each object naming its user
 * (`external_id`), each array at most {@link BRAZE_ARRAY_LIMIT} long, authorized by the
 * workspace's REST API key as a Bearer token.
 */

/** Braze's limit per array of one `/users/track` request (attributes, events and purchases counted apart). */
export const BRAZE_ARRAY_LIMIT = 75;

export type BrazeObject = Record<string, unknown> & { readonly external_id: string };

export interface BrazeTrackBody {
  attributes: BrazeObject[];
  events: BrazeObject[];
  purchases: BrazeObject[];
}

/** The REST endpoint's `/users/track` URL (a trailing slash on the endpoint is dropped). */
export function brazeTrackUrl(restEndpoint: string): string {
  return `${restEndpoint.replace(/\/+$/, '')}/users/track`;
}

/**
 * The requests carrying the body, in order: the n-th takes the n-th 75 of each array, so every
 * attribute update goes before the events of the same request (Braze processes attributes, then
 * events, then purchases) and an array's order is kept. Empty arrays are left out; no request for
 * an empty body.
 */
export function usersTrackRequests(restEndpoint: string, apiKey: string, body: BrazeTrackBody): HttpRequest[] {
  const url = brazeTrackUrl(restEndpoint);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
  const parts = Math.ceil(Math.max(body.attributes.length, body.events.length, body.purchases.length) / BRAZE_ARRAY_LIMIT);
  const requests: HttpRequest[] = [];
  for (let n = 0; n < parts; n++) {
    const part: Partial<BrazeTrackBody> = {};
    for (const key of ['attributes', 'events', 'purchases'] as const) {
      const slice = body[key].slice(n * BRAZE_ARRAY_LIMIT, (n + 1) * BRAZE_ARRAY_LIMIT);
      if (slice.length > 0) part[key] = slice;
    }
    requests.push({ url, headers, body: JSON.stringify(part) });
  }
  return requests;
}

/** A property or attribute key as Braze takes it: no leading `$`, at most 255 characters. */
export function brazeKey(key: string): string {
  return withoutDollar(key).slice(0, 255);
}

/** The settings every Braze output has: the REST key, the instance and who the user is. */
export const BRAZE_COMMON_SETTINGS: readonly SettingSpec[] = [
  { name: 'api_key', type: 'string', is_required: true, is_confidential: true, description: 'Your Braze workspace\'s REST API key (App Group REST API Key), with the users.track permission.' },
  {
    name: 'rest_endpoint',
    type: 'url',
    is_required: true,
    description: 'Your Braze instance\'s REST endpoint, e.g. https://rest.iad-01.braze.com (US 01; US 02 to US 08: rest.iad-02 ... rest.iad-08.braze.com), https://rest.fra-01.braze.eu (EU 01), https://rest.fra-02.braze.eu (EU 02).',
  },
  {
    name: 'external_identity_type',
    type: 'string',
    is_required: false,
    default: 'customer_id',
    one_of: IDENTITY_CHOICES,
    description: 'The identity sent as Braze\'s external_id. A user without it is not sent.',
  },
  { name: 'email_identity_type', type: 'string', is_required: false, default: 'email', one_of: IDENTITY_CHOICES, description: 'The identity sent as Braze\'s email.' },
];
