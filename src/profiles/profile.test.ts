import { describe, expect, it } from 'vitest';
import { logRecord } from '../storage/contracts/event-store.contract.ts';
import type { Batch } from '../model/batch.ts';
import { ATTRIBUTE_LIMITS, applyBatch, newProfile } from './profile.ts';
import { workspaceId, type Mpid } from '../kernel/ids.ts';

const fresh = () => newProfile(workspaceId(1), '42' as Mpid, 1000);
const record = (over: Partial<Batch>, offset = 1) => logRecord(0, offset, { events: [], user_attributes: {}, consent_state: null, device_info: null, ...over });

describe('applyBatch', () => {
  it('sets, changes and removes user attributes, lists and reserved ones included', () => {
    const p = fresh();
    applyBatch(p, record({ user_attributes: { plan: 'gold', $firstname: 'Ada', tags: ['a', 2] as never, age: 36 } }));
    applyBatch(p, record({ user_attributes: { plan: 'silver' }, deleted_user_attributes: ['age'] }));
    applyBatch(
      p,
      record({
        events: [
          { event_type: 'user_attribute_change', data: { user_attribute_name: 'tier', new: 'pro', old: null, deleted: false, is_new_attribute: true } },
          { event_type: 'user_attribute_change', data: { user_attribute_name: '$firstname', new: null, old: 'Ada', deleted: true, is_new_attribute: false } },
        ],
      }),
    );
    expect(p.userAttributes).toEqual({ plan: 'silver', tags: ['a', '2'], tier: 'pro' });
  });

  it('refuses attributes over the documented limits and keeps the rest', () => {
    const p = fresh();
    const many = Object.fromEntries(Array.from({ length: ATTRIBUTE_LIMITS.perBatch + 2 }, (_, i) => [`a${i}`, i]));
    const { refused } = applyBatch(p, record({ user_attributes: { ...many } }));
    expect(refused).toHaveLength(2);
    expect(Object.keys(p.userAttributes)).toHaveLength(ATTRIBUTE_LIMITS.perBatch);
    const q = fresh();
    const r = applyBatch(
      q,
      record({
        user_attributes: {
          ['n'.repeat(257)]: 'x',
          long: 'v'.repeat(4097),
          list: Array.from({ length: 1001 }, () => 'x'),
          entry: ['e'.repeat(513)],
          nested: { a: 1 },
          fine: 'ok',
        },
      }),
    );
    expect(r.refused.map((x) => x.why)).toEqual([
      'name longer than 256 characters',
      'value longer than 4096 characters',
      'list longer than 1000 entries',
      'list entry longer than 512 characters',
      'value is an object; use a string, number, boolean or list of strings',
    ]);
    expect(q.userAttributes).toEqual({ fine: 'ok' });
  });

  it('keeps consent, opt-out, device info, install attribution and first/last seen', () => {
    const p = fresh();
    applyBatch(
      p,
      record({
        consent_state: { gdpr: { location: { consented: true } } },
        device_info: { platform: 'iOS', limit_ad_tracking: true },
        events: [
          { event_type: 'custom_event', data: { event_name: 'attribution', custom_event_type: 'attribution', custom_attributes: { publisher: 'p1', campaign: 'c1' }, timestamp_unixtime_ms: 500 } },
          { event_type: 'opt_out', data: { is_opted_out: true, timestamp_unixtime_ms: 900 } },
        ],
      }),
    );
    applyBatch(p, record({ consent_state: { ccpa: { data_sale_opt_out: { consented: true } } }, events: [{ event_type: 'screen_view', data: { screen_name: 'A', timestamp_unixtime_ms: 100 } }] }));
    expect(p).toMatchObject({
      isOptedOut: true,
      limitAdTracking: true,
      firstSeenMs: 100,
      lastSeenMs: 900,
      attribution: { publisher: 'p1', campaign: 'c1', timestamp_ms: 500 },
      consentState: { gdpr: { location: { consented: true } }, ccpa: { data_sale_opt_out: { consented: true } } },
      deviceInfo: { platform: 'iOS', limit_ad_tracking: true },
    });
  });

  it('lands on the same profile when a suffix of the log is applied again after a crash', () => {
    const batches = [
      record({ user_attributes: { plan: 'gold' } }, 1),
      record({ user_attributes: { plan: 'silver', x: 1 }, deleted_user_attributes: [] }, 2),
      record({ deleted_user_attributes: ['x'], events: [{ event_type: 'screen_view', data: { screen_name: 'S', timestamp_unixtime_ms: 5 } }] }, 3),
    ];
    const once = fresh();
    for (const b of batches) applyBatch(once, b);
    const twice = fresh();
    for (const b of batches) applyBatch(twice, b);
    for (const b of batches.slice(1)) applyBatch(twice, b);
    expect(twice).toEqual(once);
  });
});
