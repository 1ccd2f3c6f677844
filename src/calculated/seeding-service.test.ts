import { describe, expect, it } from 'vitest';
import type { Identities } from '../identity/identity-types.ts';
import { type Mpid, type InputId, workspaceId } from '../kernel/ids.ts';
import type { Input } from '../platform/platform-store.ts';
import type { CalculatedAttribute } from './calculated-store.ts';
import { SeedRequestInvalid } from './seeding-errors.ts';
import { SeedingService, type SeedingWritePath } from './seeding-service.ts';
import { definitionOf } from './test-batches.ts';
import type { AttributeState } from './windows.ts';

const ws = workspaceId(3);
const input: Input = { id: 7 as InputId, workspaceId: ws, name: 'test', apiKey: 'k', apiSecret: 's', rateLimitPerSecond: 100, allowKeyOnly: false };
const KNOWN = '42' as Mpid;
const ltv: CalculatedAttribute = {
  id: 11,
  workspaceId: ws,
  name: 'LTV',
  description: null,
  created_on: '2026-01-01T00:00:00.000Z',
  created_by: 'client_id:test',
  last_modified_on: null,
  last_modified_by: null,
  draft_definition: definitionOf('sum', { attribute_name: 'x' }),
  active_definition: null,
  activated_on: null,
  activated_by: null,
  revision: 0,
};

/** A service on fakes, recording what it did in order. */
function setup(options: { ingestFails?: boolean } = {}) {
  const calls: string[] = [];
  const stored: { id: number; mpid: Mpid; state: AttributeState }[] = [];
  const ingested: unknown[] = [];
  const write: SeedingWritePath = {
    takeRate: (_input, cost) => {
      calls.push(`rate ${cost}`);
      return 12;
    },
    ingest: async (req) => {
      calls.push(`ingest internal=${req.internal} bulk=${req.bulk}`);
      if (options.ingestFails) throw new Error('log down');
      ingested.push(req.body);
    },
  };
  const service = new SeedingService({
    calculated: {
      list: async (w) => (w === ws ? [ltv] : []),
      putSeeds: async (_w, seeds) => {
        calls.push(`seeds ${seeds.length}`);
        stored.push(...seeds);
      },
    },
    graph: {
      record: (_w, mpid) => (mpid === KNOWN ? { workspaceId: ws, mpid, identities: {}, createdAtMs: 0, updatedAtMs: 0 } : undefined),
      search: (_w, known: Identities) => (known.customer_id === 'c1' ? { mpid: KNOWN, matched: known } : undefined),
    },
    write,
    limits: { batchBytes: 128 * 1024, batchesPerBulk: 100 },
  });
  return { service, calls, stored, ingested };
}

const seedUser = (who: Record<string, unknown>, value: unknown = 5, attributes?: unknown[]) => ({
  environment: 'development',
  ...who,
  calculated_attributes: { workspace: [{ attribute_name: 'LTV', calculation_type: 'sum', cutoff_date: '2019-12-01', seed: { value } }] },
  ...(attributes ? { user_attributes: { workspace: attributes } } : {}),
});

describe('SeedingService', () => {
  it('counts every user against the rate, appends user attributes as internal batches, then stores the seeds', async () => {
    const { service, calls, stored, ingested } = setup();
    const result = await service.seed({
      input,
      body: [seedUser({ mpid: 42 }, 5, [{ attribute_name: 'Tier', attribute_value: 'Free' }]), seedUser({ identities: { customerid: 'c1' } }, 6)],
      bodyBytes: 1000,
      bulk: true,
      ip: '10.0.0.1',
    });
    expect(result).toEqual({ users: 2, seeds: 2, userAttributeUpdates: 1, rateLimitPercentUsed: 12 });
    expect(calls).toEqual(['rate 2', 'ingest internal=true bulk=true', 'seeds 2']);
    expect(ingested).toEqual([[{ environment: 'development', mpid: KNOWN, user_attributes: { Tier: 'Free' }, events: [] }]]);
    expect(stored.map((s) => [s.id, s.mpid, s.state.calculation_type])).toEqual([[11, KNOWN, 'sum'], [11, KNOWN, 'sum']]);
  });

  it('checks everything before it counts, appends or stores anything', async () => {
    const { service, calls } = setup();
    const body = [seedUser({ mpid: 42 }), seedUser({ mpid: 43 }, 'x'), seedUser({ identities: { customer_id: 'c2' } })];
    const error = await service.seed({ input, body, bodyBytes: 1000, bulk: true, ip: null }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SeedRequestInvalid);
    expect((error as InstanceType<typeof SeedRequestInvalid>).problems).toEqual([
      'No user has mpid 43 in this workspace. (user [1])',
      'LTV: Seed value must be numeric (user [1])',
      'No user of this workspace matches the identities customer_id "c2". (user [2])',
    ]);
    expect(calls).toEqual([]);
  });

  it('stores no seed when the user attributes could not be appended', async () => {
    const { service, calls } = setup({ ingestFails: true });
    const body = seedUser({ mpid: '42' }, 5, [{ attribute_name: 'Tier', attribute_value: 'Free' }]);
    await expect(service.seed({ input, body, bodyBytes: 1000, bulk: false, ip: null })).rejects.toThrow('log down');
    expect(calls).toEqual(['rate 1', 'ingest internal=true bulk=true']);
  });

  it("prefers mpid to identities, and reads the page's table spelling cuttoff_date", async () => {
    const { service, stored } = setup();
    const body = { environment: 'production', mpid: '42', identities: { customer_id: 'nobody' }, calculated_attributes: { workspace: [{ attribute_name: 'LTV', calculation_type: 'sum', cuttoff_date: '2019-12-01', seed: { value: 1 } }] } };
    await service.seed({ input, body, bodyBytes: 100, bulk: false, ip: null });
    expect(stored.map((s) => s.mpid)).toEqual([KNOWN]);
  });
});
