import { describe, expect, it } from 'vitest';
import type { IdentityType } from '../../identity/identity-types.ts';
import type { InputId, Mpid, WorkspaceId } from '../../kernel/ids.ts';
import type { Batch, BatchEvent } from '../../model/batch.ts';
import type { StreamBatch } from '../stream-batch.ts';
import { parseFilter } from './filter.ts';
import { compileForwarding, type ForwardingConfig } from './index.ts';
import { inSample } from './sampling.ts';

const custom = (name: string, attributes: Record<string, unknown> = {}): BatchEvent =>
  ({ event_type: 'custom_event', data: { event_name: name, custom_event_type: 'other', custom_attributes: attributes } }) as BatchEvent;

let seq = 0;
const streamed = (mpid: string, events: BatchEvent[], extra: Partial<Batch> = {}): StreamBatch => ({
  seq: ++seq,
  workspaceId: 1 as WorkspaceId,
  inputId: 1 as InputId,
  mpid: mpid as Mpid,
  receivedAtMs: 0,
  batch: { events, environment: 'production', user_attributes: { tier: 'gold' }, user_identities: { customer_id: 'c1' }, ...extra },
});

const filterOf = (raw: unknown) => {
  const parsed = parseFilter(raw);
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.value;
};
const config = (extra: Partial<ForwardingConfig>): ForwardingConfig => ({
  filter: null,
  forwardingRules: [],
  samplingPercent: 100,
  salt: 'connection:7',
  loginIds: new Set<IdentityType>(['customer_id']),
  ...extra,
});

describe('compileForwarding', () => {
  it('forwards everything without filter, rules or sampling', () => {
    const b = streamed('1', [custom('Play')]);
    expect(compileForwarding(config({}))(b)).toEqual(b.batch);
  });

  it("samples by the stream's MPID, with the connection's salt", () => {
    const forward = compileForwarding(config({ samplingPercent: 40 }));
    let forwarded = 0;
    for (let i = 0; i < 200; i++) {
      const b = streamed(String(i), [custom('Play')]);
      expect(forward(b) !== null).toBe(inSample(b.mpid, 40, 'connection:7'));
      if (forward(b) !== null) forwarded += 1;
    }
    expect(forwarded).toBeGreaterThan(50);
    expect(forwarded).toBeLessThan(110);
  });

  it('runs the rules on the data before the filter removes it', () => {
    const forward = compileForwarding(
      config({
        forwardingRules: [{ type: 'attribute', attribute_name: 'plan', value: 'pro', action: 'only_forward' }],
        filter: filterOf({ data_points: [{ type: 'event_attribute', event_name: 'Buy', name: 'plan', enabled: false }] }),
      }),
    );
    const out = forward(streamed('1', [custom('Buy', { plan: 'pro', price: 3 }), custom('Buy', { plan: 'basic' })]));
    expect(out?.events).toEqual([custom('Buy', { price: 3 })]);
  });

  it('does not forward a batch the rules refuse, nor one whose every event the filter removed', () => {
    const refused = compileForwarding(config({ forwardingRules: [{ type: 'consent', regulation: 'ccpa', action: 'do_not_forward' }] }));
    expect(refused(streamed('1', [custom('Play')], { consent_state: { ccpa: { data_sale_opt_out: { consented: true } } } }))).toBeNull();
    const filtered = compileForwarding(config({ filter: filterOf({ data_points: [{ type: 'event', name: 'Play', enabled: false }] }) }));
    expect(filtered(streamed('1', [custom('Play')]))).toBeNull();
  });

  it('forwards a batch that came without events with what the filter leaves of it', () => {
    const forward = compileForwarding(config({ filter: filterOf({ data_points: [{ type: 'user_attribute', name: 'tier', enabled: false }] }) }));
    const b = streamed('1', []);
    expect(forward(b)).toMatchObject({ events: [], user_attributes: {}, user_identities: { customer_id: 'c1' } });
    expect(b.batch.user_attributes).toEqual({ tier: 'gold' });
  });
});
