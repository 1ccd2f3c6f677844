import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../analytics/event-store.ts';
import type { AudienceNode, EventCriterion } from '../../audiences/definition.ts';
import type { AudienceHistory, AudienceSelection } from '../../audiences/history-selection.ts';
import { type Mpid, workspaceId } from '../../kernel/ids.ts';
import { logRecord } from './event-store.contract.ts';

const ws = workspaceId(1);

/** The audience history contract, run against every adapter (it reads what its event store appended). */
export function audienceHistoryContract(name: string, open: (location: string) => Promise<EventStore & AudienceHistory>, newLocation: () => string) {
  describe(`AudienceHistory contract: ${name}`, () => {
    let store: EventStore & AudienceHistory;

    beforeEach(async () => {
      store = await open(newLocation());
    });
    afterEach(async () => {
      await store.close();
    });

    it('selects the users an audience definition names, by the latest batch carrying each fact, in numeric MPID order', async () => {
      const select = async (definition: AudienceNode, over: Partial<AudienceSelection> = {}) => {
        const mpids: Mpid[] = [];
        const counts = await store.selectUsers({ workspaceId: ws, definition, fromMs: null, toMs: null, nowMs: 1_700_000_100_000, members: new Map(), ...over }, async (chunk) => {
          mpids.push(...chunk);
        });
        return { mpids, ...counts };
      };
      const click = (offset: number, mpid: string, ts: number) =>
        logRecord(0, offset, { events: [{ event_type: 'custom_event', data: { event_name: 'click', custom_event_type: 'navigation', timestamp_unixtime_ms: ts, custom_attributes: { Size: 'L' } } }] }, mpid);
      await store.append([
        click(1, '-5', 1_700_000_000_000),
        click(2, '3', 1_700_000_090_000),
        click(3, '3', 1_700_000_095_000),
        click(4, '12', 1_600_000_000_000),
        // No events: still a user, and the latest word on their plan.
        logRecord(0, 5, { events: [], user_attributes: { plan: 'silver' } }, '12'),
      ]);
      const clicks = (over: Partial<EventCriterion> = {}): AudienceNode => ({
        event: { event_type: 'custom_event', event_name: 'click', custom_event_type: null, product_action: null, attributes: [], count: { operator: 'at_least', value: 1 }, withinMs: null, afterMs: null, beforeMs: null, ...over },
      });
      expect(await select(clicks())).toEqual({ mpids: ['-5', '3', '12'], users: 3, members: 3 });
      // Twice within 20 s of "now": only 3's two clicks.
      expect((await select(clicks({ count: { operator: 'at_least', value: 2 }, withinMs: 20_000 }))).mpids).toEqual(['3']);
      // An attribute named in another case; negatives hold for users without the value.
      expect((await select(clicks({ attributes: [{ name: 'size', operator: 'equals', value: 'l' }] }))).mpids).toEqual(['-5', '3', '12']);
      expect((await select({ user_attribute: { name: 'plan', operator: 'equals', value: 'gold' } })).mpids).toEqual(['-5', '3']);
      expect((await select({ not: { user_attribute: { name: 'plan', operator: 'equals', value: 'gold' } } })).mpids).toEqual(['12']);
      // A date range: events from fromMs, before toMs.
      expect((await select(clicks(), { fromMs: 1_650_000_000_000 })).mpids).toEqual(['-5', '3']);
      expect((await select(clicks(), { toMs: 1_650_000_000_000 })).mpids).toEqual(['12']);
      // Another audience's members, as the caller gives them.
      expect((await select({ audience: { id: 9, member: true } }, { members: new Map([[9, ['3' as Mpid, '99' as Mpid]]]) })).mpids).toEqual(['3']);
      // Another workspace's users are not decided.
      expect(await select(clicks(), { workspaceId: workspaceId(2) })).toEqual({ mpids: [], users: 0, members: 0 });
      // A sample decides only some users (by a hash of the MPID): at most all of them.
      const sampled = await select(clicks(), { samplePercent: 50 });
      expect(sampled.users).toBeLessThanOrEqual(3);
      expect(sampled.members).toBe(sampled.users);
    });

  });
}
