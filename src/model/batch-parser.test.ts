import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { EventType } from './event-types.ts';
import { EVENT_TYPES } from './event-types.ts';
import { parseBatch } from './batch-parser.ts';

/** One minimal valid `data` node per event type, as the JSON reference shows them. */
const VALID: Record<EventType, Record<string, unknown>> = {
  custom_event: { event_name: 'click', custom_event_type: 'navigation', custom_attributes: { button: 'home' } },
  commerce_event: {
    product_action: {
      action: 'purchase',
      transaction_id: 't-1',
      total_amount: 10,
      products: [{ id: 'sku', name: 'Widget', price: 10, quantity: 1 }],
    },
    currency_code: 'USD',
  },
  screen_view: { screen_name: 'Home' },
  session_start: { session_uuid: 'a' },
  session_end: { session_duration_ms: 1000 },
  uninstall: {},
  crash_report: { message: 'boom', exception_handled: false, breadcrumbs: ['a'] },
  opt_out: { is_opted_out: true },
  first_run: {},
  pre_attribution: {},
  push_registration: { register: true, registration_token: 'tok' },
  push_message: { push_message_type: 'received', push_message_token: 't', push_notification_payload: '{}' },
  push_reaction: {},
  application_state_transition: { application_transition_type: 'application_initialized', is_first_run: true, is_upgrade: false },
  network_performance: { url: 'https://x', response_code: 200, http_verb: 'GET', time_elapsed: 12 },
  breadcrumb: { label: 'tapped' },
  profile: { profile_event_type: 'login', previous_mpid: 1, current_mpid: '2' },
  user_attribute_change: { user_attribute_name: 'plan', new: 'pro', old: null, deleted: false, is_new_attribute: true },
  user_identity_change: { new: { identity_type: 'email', identity: 'a@b.c' }, old: null },
};

function messages(value: unknown, where?: string): string[] {
  const r = parseBatch(value, where);
  return r.ok ? [] : r.problems.map((p) => p.message);
}

describe('parseBatch', () => {
  it.each(EVENT_TYPES)('accepts a %s event', (type) => {
    const r = parseBatch({ environment: 'production', events: [{ event_type: type, data: VALID[type] }] });
    expect(r.ok).toBe(true);
  });

  it('accepts every batch the real Web SDK sent, nulls and string mpids included', () => {
    const recorded = JSON.parse(readFileSync(new URL('../../test/fixtures/real-clients/websdk.json', import.meta.url), 'utf8')) as {
      path: string;
      body: unknown;
    }[];
    const batches = recorded.filter((r) => r.path.includes('/events')).map((r) => r.body);
    expect(batches.length).toBeGreaterThan(5);
    for (const b of batches) {
      const r = parseBatch(b);
      expect(r.ok ? [] : r.problems).toEqual([]);
      if (r.ok) expect(r.batch.mpid).toBe((b as { mpid: string }).mpid);
    }
  });

  it('normalises: environment default, customerid alias, custom_event_type default, long names truncated', () => {
    const r = parseBatch({
      user_identities: { customerid: 'c-1', email: null },
      events: [{ event_type: 'custom_event', data: { event_name: 'x'.repeat(300), custom_attributes: { ['k'.repeat(300)]: 1 } } }],
    });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(r.batch.environment).toBe('production');
    expect(r.batch.user_identities).toEqual({ customer_id: 'c-1' });
    expect(r.batch.user_attributes).toEqual({});
    const data = r.batch.events[0]!.data;
    expect(data.custom_event_type).toBe('other');
    expect(data.event_name).toHaveLength(256);
    expect(Object.keys(data.custom_attributes!)[0]).toHaveLength(256);
  });

  it('keeps unknown extra fields as sent', () => {
    const r = parseBatch({ shiny_new_field: { a: 1 }, events: [{ event_type: 'screen_view', data: { screen_name: 'A', extra: 2 } }] });
    if (!r.ok) throw new Error('expected ok');
    expect(r.batch.shiny_new_field).toEqual({ a: 1 });
    expect(r.batch.events[0]!.data.extra).toBe(2);
  });

  it("drops an event's `violations`: only Quanta's data-plan stage tags events", () => {
    const r = parseBatch({ events: [{ event_type: 'screen_view', violations: [{ validation_error_type: 'unplanned' }], data: { screen_name: 'A' } }] });
    if (!r.ok) throw new Error('expected ok');
    expect(r.batch.events[0]).toEqual({ event_type: 'screen_view', data: { screen_name: 'A' } });
  });

  it('names every problem with its path', () => {
    const problems = messages(
      {
        environment: 'staging',
        events: [
          { event_type: 'custom_event', data: { custom_event_type: 'navigation' } },
          { data: {} },
          { event_type: 'teleport', data: {} },
          { event_type: 'screen_view', data: { screen_name: 42 } },
          { event_type: 'opt_out', data: {} },
        ],
        user_identities: { favourite_colour: 'blue' },
        user_attributes: 'gold',
      },
      '[3]',
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"[3].environment" must be one of: production, development, unknown'),
        expect.stringContaining('"[3].events[0].data.event_name" is missing'),
        expect.stringContaining('"[3].events[1].event_type" is missing'),
        expect.stringContaining('[3].events[2].event_type "teleport" is not an event type'),
        expect.stringContaining('"[3].events[3].data.screen_name" must be string'),
        expect.stringContaining('"[3].events[4].data.is_opted_out" is missing'),
        expect.stringContaining('"[3].user_identities.favourite_colour" is not a user identity type'),
        expect.stringContaining('"[3].user_attributes" must be object'),
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it('rejects non-objects, wrong events types and bad mpids', () => {
    expect(messages([])).toEqual(['The request body must be a JSON object (an event batch).']);
    expect(messages('x')).toHaveLength(1);
    expect(messages({ events: {} })).toEqual(['Field "events" must be array.']);
    expect(messages({ mpid: 'abc' })).toEqual(['mpid must be a signed 64-bit integer, not zero.']);
    expect(messages({ mpid: '99999999999999999999' })).toHaveLength(1);
    expect(messages({ events: [{ event_type: 'custom_event', data: { event_name: '' } }] })).toEqual([
      'Required field "events[0].data.event_name" is missing or empty.',
    ]);
  });
});
