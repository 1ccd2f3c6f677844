import { describe, expect, it } from 'vitest';
import { applyGpc, type GpcConsent, gpcSignalled } from './gpc.ts';

const ccpa: GpcConsent = { regulation: 'ccpa', purpose: 'data_sale_opt_out', consented: true };
const gdpr: GpcConsent = { regulation: 'gdpr', purpose: 'targeting', consented: false };
const signal = { 'sec-gpc': '1', origin: 'https://shop.example.com' };

describe('GPC signals', () => {
  it('reads Sec-GPC: 1 only', () => {
    expect(gpcSignalled({ 'sec-gpc': '1' })).toBe(true);
    expect(gpcSignalled({ 'sec-gpc': ' 1 ' })).toBe(true);
    for (const v of [undefined, '0', 'true', '']) expect(gpcSignalled({ 'sec-gpc': v })).toBe(false);
  });

  it("adds the mapped consent to a batch that says nothing of the purpose, with the time, the guide's document, the page's origin and the device id", () => {
    const batch = { events: [], mp_deviceid: 'das-1', consent_state: { gdpr: { marketing: { consented: true, timestamp_unixtime_ms: 1 } } } };
    expect(applyGpc(batch, ccpa, signal, 500)).toEqual({
      ...batch,
      consent_state: {
        gdpr: batch.consent_state.gdpr,
        ccpa: { data_sale_opt_out: { consented: true, timestamp_unixtime_ms: 500, document: 'browser_gpc_signal', location: 'https://shop.example.com', hardware_id: 'das-1' } },
      },
    });
    expect(batch.consent_state).toEqual({ gdpr: { marketing: { consented: true, timestamp_unixtime_ms: 1 } } });
    expect(applyGpc({ events: [], consent_state: null }, gdpr, { 'sec-gpc': '1', referer: 'https://blog.example.com/post?x=1' }, 7)).toEqual({
      events: [],
      consent_state: { gdpr: { targeting: { consented: false, timestamp_unixtime_ms: 7, document: 'browser_gpc_signal', location: 'https://blog.example.com', hardware_id: null } } },
    });
  });

  it("leaves a batch's own consent for the purpose (whatever its case), requests without the signal, unmapped workspaces and what is not a batch alone", () => {
    const own = { events: [], consent_state: { gdpr: { Targeting: { consented: true, timestamp_unixtime_ms: 1 } } } };
    expect(applyGpc(own, gdpr, signal, 5)).toBe(own);
    const plain = { events: [] };
    expect(applyGpc(plain, ccpa, {}, 5)).toBe(plain);
    expect(applyGpc(plain, undefined, signal, 5)).toBe(plain);
    for (const odd of ['x', null, { consent_state: 'all' }, { consent_state: { ccpa: 'no' } }]) expect(applyGpc(odd, ccpa, signal, 5)).toBe(odd);
  });

  it('applies to every batch of a bulk request', () => {
    const out = applyGpc([{ events: [] }, { events: [], consent_state: { ccpa: { data_sale_opt_out: { consented: false, timestamp_unixtime_ms: 1 } } } }], ccpa, signal, 9) as { consent_state: { ccpa: { data_sale_opt_out: { consented: boolean } } } }[];
    expect(out.map((b) => b.consent_state.ccpa.data_sale_opt_out.consented)).toEqual([true, false]);
  });
});
