import type { HttpRequest } from '../../http-send.ts';
import type { SettingSpec, Settings } from '../../output.ts';
import type { AudienceChange } from '../../audience-change.ts';
import { BRAZE_COMMON_SETTINGS, brazeKey, type BrazeObject, usersTrackRequests } from './braze-request.ts';
import { chosenIdentity, IDENTITY_CHOICES } from './identity-choice.ts';
import { settingValues } from './setting-values.ts';

/**
 * mParticle's Braze audience integration: Braze cannot hold segments' members, so membership is
 * set as custom attributes on each user, which a Braze segment then filters on (the page's
 * Forwarding Audiences): `SegmentMembership`, the array of the user's audience ids (filter
 * "matches regex <id>"), and/or one boolean `In <audience name>` per audience.
 */

const SEND_SEGMENTS_AS = ['single_attribute', 'one_attribute_per_segment', 'both'] as const;

export const BRAZE_AUDIENCE_SETTINGS: readonly SettingSpec[] = [
  ...BRAZE_COMMON_SETTINGS,
  {
    name: 'send_segments_as',
    type: 'string',
    is_required: false,
    default: 'single_attribute',
    one_of: SEND_SEGMENTS_AS,
    description: 'How membership is set: single_attribute (the SegmentMembership array of audience ids), one_attribute_per_segment ("In <audience name>": true or false), or both.',
  },
];

/** The array attribute of the user's audience ids ("Single Attribute"). */
export const SEGMENT_MEMBERSHIP = 'SegmentMembership';

/**
 * The `/users/track` requests setting these membership changes, 75 users per request. Each
 * user's changes are folded in order (the last change of an audience wins), and
 * `SegmentMembership` is changed with Braze's `{add, remove}` array operations, so the ids of
 * audiences not in these changes (other connections' too) stay as they are. A change whose user
 * has no external identity is not sent.
 *
 * @example
 * brazeAudienceRequests([{ audienceId: 11034, audienceName: 'Ibiza Dreamers', change: 'added', ... }], settings)
 * // body: {"attributes":[{"external_id":"cust-1001","SegmentMembership":{"add":["11034"]}}]}
 */
export function brazeAudienceRequests(changes: readonly AudienceChange[], settings: Settings): HttpRequest[] {
  const s = settingValues(BRAZE_AUDIENCE_SETTINGS, settings);
  const externalIdentity = s.choice('external_identity_type', IDENTITY_CHOICES);
  const emailIdentity = s.choice('email_identity_type', IDENTITY_CHOICES);
  const sendAs = s.choice('send_segments_as', SEND_SEGMENTS_AS);
  const users = new Map<string, { email?: string; latest: Map<number, AudienceChange> }>();
  for (const c of changes) {
    const externalId = chosenIdentity(c.identities, c.mpid, externalIdentity);
    if (externalId === undefined) continue;
    let user = users.get(externalId);
    if (!user) users.set(externalId, (user = { latest: new Map() }));
    user.email = chosenIdentity(c.identities, c.mpid, emailIdentity) ?? user.email;
    user.latest.delete(c.audienceId);
    user.latest.set(c.audienceId, c);
  }
  const attributes: BrazeObject[] = [];
  for (const [externalId, user] of users) {
    const object: BrazeObject = { external_id: externalId };
    if (user.email !== undefined) object.email = user.email;
    const latest = [...user.latest.values()];
    if (sendAs !== 'one_attribute_per_segment') {
      const ids = (change: AudienceChange['change']) => latest.filter((c) => c.change === change).map((c) => String(c.audienceId));
      const add = ids('added');
      const remove = ids('removed');
      object[SEGMENT_MEMBERSHIP] = { ...(add.length > 0 && { add }), ...(remove.length > 0 && { remove }) };
    }
    if (sendAs !== 'single_attribute') for (const c of latest) object[brazeKey(`In ${c.audienceName}`)] = c.change === 'added';
    attributes.push(object);
  }
  const restEndpoint = s.text('rest_endpoint') ?? '';
  return usersTrackRequests(restEndpoint, s.text('api_key') ?? '', { attributes, events: [], purchases: [] });
}
