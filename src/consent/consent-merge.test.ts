import { describe, expect, it } from 'vitest';
import { ANY_PURPOSE, type ConsentRules, type HeldConsent, mergeConsent } from './consent-merge.ts';
import { notificationsOf, consentEvents } from './system-notifications.ts';

const empty = (): HeldConsent => ({ gdpr: {}, ccpa: {} });
const only = (...purposes: string[]): ConsentRules => ({ gdprPurposes: new Set(purposes) });
const full = (consented: boolean, ts: number, document = 'doc-v1') => ({ consented, timestamp_unixtime_ms: ts, document, location: 'example.com/signup', hardware_id: 'IDFA:a5d9' });

describe('mergeConsent', () => {
  it('keeps every field of each purpose, the optional ones null when not sent, and a missing timestamp as the batch time', () => {
    const { state, changes, refused } = mergeConsent(
      empty(),
      { gdpr: { location_collection: full(true, 100) }, ccpa: { data_sale_opt_out: { consented: true } } },
      ANY_PURPOSE,
      555,
    );
    expect(state).toEqual({
      gdpr: { location_collection: full(true, 100) },
      ccpa: { data_sale_opt_out: { consented: true, timestamp_unixtime_ms: 555, document: null, location: null, hardware_id: null } },
    });
    expect(changes.map((c) => [c.regulation, c.purpose, c.old])).toEqual([
      ['gdpr', 'location_collection', undefined],
      ['ccpa', 'data_sale_opt_out', undefined],
    ]);
    expect(refused).toEqual([]);
  });

  it('lets a newer consent replace the held one, never an older one, and counts an equal one as no change', () => {
    const first = mergeConsent(empty(), { gdpr: { marketing: full(true, 200) } }, ANY_PURPOSE, 0).state;
    const older = mergeConsent(first, { gdpr: { marketing: full(false, 100) } }, ANY_PURPOSE, 0);
    expect(older.state).toBe(first);
    expect(older.changes).toEqual([]);
    const same = mergeConsent(first, { gdpr: { marketing: full(true, 200) } }, ANY_PURPOSE, 0);
    expect(same.state).toBe(first);
    const newer = mergeConsent(first, { gdpr: { marketing: full(false, 300, 'doc-v2') } }, ANY_PURPOSE, 0);
    expect(newer.state.gdpr.marketing).toEqual(full(false, 300, 'doc-v2'));
    expect(newer.changes).toEqual([{ regulation: 'gdpr', purpose: 'marketing', old: full(true, 200), current: full(false, 300, 'doc-v2') }]);
    // At the same time, the later batch wins.
    expect(mergeConsent(first, { gdpr: { marketing: full(false, 200) } }, ANY_PURPOSE, 0).state.gdpr.marketing).toEqual(full(false, 200));
  });

  it('never changes the state it is given: a change makes new objects, purposes not named are kept', () => {
    const held = mergeConsent(empty(), { gdpr: { a: full(true, 1), b: full(true, 1) } }, ANY_PURPOSE, 0).state;
    const snapshot = structuredClone(held);
    const next = mergeConsent(held, { gdpr: { a: full(false, 2) } }, ANY_PURPOSE, 0).state;
    expect(held).toEqual(snapshot);
    expect(next.gdpr).not.toBe(held.gdpr);
    expect(next.ccpa).toBe(held.ccpa);
    expect(next.gdpr.b).toEqual(full(true, 1));
  });

  it('refuses GDPR purposes the workspace has not defined (matching defined ones whatever their case), other CCPA purposes, other regulations and non-consents', () => {
    const { state, refused } = mergeConsent(
      empty(),
      {
        gdpr: { Marketing: full(true, 1), parental: full(true, 1), broken: { consented: 'yes' }, odd: 'true' },
        ccpa: { data_sale_opt_out: full(true, 1), sharing: full(true, 1) },
        lgpd: { x: full(true, 1) },
      },
      only('marketing'),
      0,
    );
    expect(Object.keys(state.gdpr)).toEqual(['Marketing']);
    expect(Object.keys(state.ccpa)).toEqual(['data_sale_opt_out']);
    expect(refused).toEqual([
      { regulation: 'gdpr', purpose: 'parental', why: 'the workspace has not defined this GDPR purpose' },
      { regulation: 'gdpr', purpose: 'broken', why: 'the workspace has not defined this GDPR purpose' },
      { regulation: 'gdpr', purpose: 'odd', why: 'the workspace has not defined this GDPR purpose' },
      { regulation: 'ccpa', purpose: 'sharing', why: "CCPA's only purpose is data_sale_opt_out" },
      { regulation: 'lgpd', purpose: '*', why: 'only gdpr and ccpa consent is recorded' },
    ]);
    expect(mergeConsent(empty(), { gdpr: { broken: { consented: 'yes' }, odd: 'true' } }, ANY_PURPOSE, 0).refused).toEqual([
      { regulation: 'gdpr', purpose: 'broken', why: 'consented must be true or false' },
      { regulation: 'gdpr', purpose: 'odd', why: 'a purpose consent must be an object' },
    ]);
    expect(mergeConsent(empty(), { gdpr: 'all' }, ANY_PURPOSE, 0).refused).toEqual([{ regulation: 'gdpr', purpose: '*', why: 'gdpr must be an object of purposes' }]);
  });

  it('ignores a batch without consent, or with null regulations', () => {
    const held = empty();
    for (const incoming of [undefined, null, {}, { gdpr: null, ccpa: null }, 'x']) {
      expect(mergeConsent(held, incoming, ANY_PURPOSE, 0)).toEqual({ state: held, changes: [], refused: [] });
    }
  });
});

describe('system notifications and consent events', () => {
  it("are the guide's gdpr_change / ccpa_change with the old and new consent, and its Consent Given / Rejected custom events", () => {
    const held = mergeConsent(empty(), { gdpr: { location_collection: full(true, 100) } }, ANY_PURPOSE, 0).state;
    const { changes } = mergeConsent(held, { gdpr: { location_collection: full(false, 200) }, ccpa: { data_sale_opt_out: { consented: true, timestamp_unixtime_ms: 300 } } }, ANY_PURPOSE, 0);
    const notifications = notificationsOf(changes);
    expect(notifications).toEqual([
      { type: 'gdpr_change', data: { purpose: 'location_collection', current: { regulation: 'GDPR', ...full(false, 200) }, old: { regulation: 'GDPR', ...full(true, 100) } } },
      { type: 'ccpa_change', data: { purpose: 'data_sale_opt_out', current: { regulation: 'CCPA', consented: true, timestamp_unixtime_ms: 300, document: null, location: null, hardware_id: null } } },
    ]);
    const batch = { events: [], environment: 'production' as const, user_identities: {}, user_attributes: {}, system_notifications: JSON.parse(JSON.stringify(notifications)) as unknown };
    expect(consentEvents(batch)).toEqual([
      {
        event_type: 'custom_event',
        data: {
          event_name: 'Consent Rejected',
          custom_event_type: 'Consent',
          timestamp_unixtime_ms: 200,
          custom_attributes: { consented: 'false', purpose: 'location_collection', regulation: 'GDPR', timestamp_unixtime_ms: 200, document: 'doc-v1', location: 'example.com/signup', hardware_id: 'IDFA:a5d9' },
        },
      },
      {
        event_type: 'custom_event',
        data: { event_name: 'Consent Given', custom_event_type: 'Consent', timestamp_unixtime_ms: 300, custom_attributes: { consented: 'true', purpose: 'data_sale_opt_out', regulation: 'CCPA', timestamp_unixtime_ms: 300 } },
      },
    ]);
    expect(consentEvents({ ...batch, system_notifications: [{ type: 'other' }, 'x'] })).toEqual([]);
  });
});
