import { describe, expect, it } from 'vitest';
import type { Settings } from '../../output.ts';
import type { AudienceChange } from '../../audience-change.ts';
import { BRAZE_AUDIENCE_SETTINGS, brazeAudienceRequests } from './braze-audience.ts';
import { MPID, T } from '../../../../test/fixtures/partner-batches.ts';

const SETTINGS: Settings = { api_key: 'braze-key', rest_endpoint: 'https://rest.iad-01.braze.com' };

function change(audienceId: number, audienceName: string, kind: AudienceChange['change'], identities: Record<string, string> = { customer_id: 'cust-1001', email: 'ada@example.com' }): AudienceChange {
  return { audienceId, audienceName, mpid: MPID, change: kind, atMs: T, identities };
}
const bodiesOf = (changes: AudienceChange[], settings: Settings = SETTINGS) =>
  brazeAudienceRequests(changes, settings).map((r) => JSON.parse(r.body) as { attributes: Record<string, unknown>[] });

describe('brazeAudienceRequests', () => {
  it('has the page\'s Send Segments As setting, single attribute by default', () => {
    expect(BRAZE_AUDIENCE_SETTINGS.find((s) => s.name === 'send_segments_as')).toMatchObject({ default: 'single_attribute', one_of: ['single_attribute', 'one_attribute_per_segment', 'both'] });
  });

  it('adds to and removes from SegmentMembership, the audience ids as strings', () => {
    const requests = brazeAudienceRequests([change(11036, 'Aspiring Athenians', 'added'), change(11034, 'Ibiza Dreamers', 'removed')], SETTINGS);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url).toBe('https://rest.iad-01.braze.com/users/track');
    expect(requests[0]?.headers).toEqual({ 'content-type': 'application/json', authorization: 'Bearer braze-key' });
    expect(JSON.parse(requests[0]!.body)).toStrictEqual({
      attributes: [{ external_id: 'cust-1001', email: 'ada@example.com', SegmentMembership: { add: ['11036'], remove: ['11034'] } }],
    });
  });

  it('folds one user\'s changes in order: the last change of an audience wins', () => {
    const [body] = bodiesOf([change(11034, 'Ibiza Dreamers', 'added'), change(11034, 'Ibiza Dreamers', 'removed')]);
    expect(body?.attributes).toStrictEqual([{ external_id: 'cust-1001', email: 'ada@example.com', SegmentMembership: { remove: ['11034'] } }]);
  });

  it('sets one "In <name>" boolean per audience, or both kinds', () => {
    const changes = [change(11035, 'Possible Parisians', 'added'), change(11034, 'Ibiza Dreamers', 'removed')];
    expect(bodiesOf(changes, { ...SETTINGS, send_segments_as: 'one_attribute_per_segment' })[0]?.attributes).toStrictEqual([
      { external_id: 'cust-1001', email: 'ada@example.com', 'In Possible Parisians': true, 'In Ibiza Dreamers': false },
    ]);
    expect(bodiesOf(changes, { ...SETTINGS, send_segments_as: 'both' })[0]?.attributes).toStrictEqual([
      { external_id: 'cust-1001', email: 'ada@example.com', SegmentMembership: { add: ['11035'], remove: ['11034'] }, 'In Possible Parisians': true, 'In Ibiza Dreamers': false },
    ]);
  });

  it('skips users without the external identity, and takes the identities the settings name', () => {
    expect(brazeAudienceRequests([change(11034, 'Ibiza Dreamers', 'added', { email: 'ada@example.com' })], SETTINGS)).toEqual([]);
    const [body] = bodiesOf([change(11034, 'Ibiza Dreamers', 'added', { other_id_2: 'crm-9' })], { ...SETTINGS, external_identity_type: 'mpid', email_identity_type: 'other_id_2' });
    expect(body?.attributes).toStrictEqual([{ external_id: MPID, email: 'crm-9', SegmentMembership: { add: ['11034'] } }]);
  });

  it('sends 75 users per request', () => {
    const changes = Array.from({ length: 80 }, (_, i) => change(11034, 'Ibiza Dreamers', 'added', { customer_id: `cust-${i}` }));
    const bodies = bodiesOf(changes);
    expect(bodies.map((b) => b.attributes.length)).toEqual([75, 5]);
    expect(bodies[1]?.attributes[0]).toMatchObject({ external_id: 'cust-75' });
  });
});
