import { describe, expect, it } from 'vitest';
import type { Batch, BatchEvent } from '../model/batch.ts';
import type { CustomEventType } from '../model/event-types.ts';
import { parseNewPlan } from '../planning/plan-document.ts';
import { compilePlanVersion } from '../planning/plan-compiler.ts';
import { validateBatch } from '../planning/validate.ts';
import { CLEVERTAP_CONTRACT, CLEVERTAP_PLAN } from './clevertap-contract.ts';
import { contractDescriptions } from './feed-contract.ts';

const custom = (name: string, type: CustomEventType, attributes: Record<string, unknown> = {}): BatchEvent => ({
  event_type: 'custom_event',
  data: { event_name: name, custom_event_type: type, custom_attributes: attributes },
});

const batch = (events: BatchEvent[], extra: Partial<Batch> = {}): Batch => ({
  environment: 'production',
  events,
  user_attributes: { ct_name: 'Ada', ct_email_opt_in: true, ct_push_opt_in: false },
  user_identities: { customer_id: 'ct-1', email: 'ada@example.com' },
  ...extra,
});

const plan = compilePlanVersion(CLEVERTAP_PLAN.data_plan_versions[0]!.version_document);
const errorsOf = (b: Batch) => validateBatch(plan, b).results.map((r) => r.data.validation_errors.map((e) => `${e.validation_error_type} ${e.key ?? ''}`)).flat();

describe('the CleverTap feed contract', () => {
  it('is a data plan the Data Planning API accepts as is, live in both environments', () => {
    const parsed = parseNewPlan(structuredClone(CLEVERTAP_PLAN));
    expect(parsed).toMatchObject({ data_plan_id: 'clevertap_feed', data_plan_versions: [{ version: 1, activated_environment: 'production' }] });
    expect(parsed.data_plan_versions[0]!.version_document).toEqual(CLEVERTAP_PLAN.data_plan_versions[0]!.version_document);
    expect(plan.actions).toEqual({ event: 'allow', event_attribute: 'allow', user_attribute: 'allow', user_identity: 'allow' });
  });

  it('documents every event CleverTap sends, with its event type, description and attributes as sent', () => {
    expect(CLEVERTAP_CONTRACT.events).toHaveLength(25);
    expect(plan.events.size).toBe(25);
    const launched = CLEVERTAP_CONTRACT.events.find((e) => e.name === 'App Launched');
    expect(launched).toMatchObject({ eventType: 'custom_event', customEventType: 'other', description: 'This event is raised every time a user launches the application.' });
    expect(launched!.attributes).toContain('CT Source');
    expect(CLEVERTAP_CONTRACT.events.find((e) => e.name === 'Notification Clicked')).toMatchObject({ customEventType: 'attribution' });
    expect(CLEVERTAP_CONTRACT.events.find((e) => e.name === 'Notification Clicked')!.attributes).toContain('wzrk_pid');
    expect(CLEVERTAP_CONTRACT.events.find((e) => e.name === 'App Uninstalled')).toMatchObject({ eventType: 'uninstall' });
    expect(CLEVERTAP_CONTRACT.events.find((e) => e.name === 'UTM Visited')).toMatchObject({ customEventType: 'navigation' });
    expect(CLEVERTAP_CONTRACT.events.find((e) => e.name === 'Reply Sent')).toMatchObject({ customEventType: 'user_content' });
    expect(CLEVERTAP_CONTRACT.events.find((e) => e.name === 'GeoCluster Exited')).toMatchObject({ customEventType: 'location' });
    for (const e of CLEVERTAP_CONTRACT.events) expect(new Set(e.attributes).size, e.name).toBe(e.attributes.length);
    expect(contractDescriptions(CLEVERTAP_CONTRACT).get('custom_event:attribution:App Installed')).toBe('Event tracked when a user installs the application.');
    expect(contractDescriptions(CLEVERTAP_CONTRACT).get('uninstall')).toBe('Event recorded when a user uninstalls the application.');
  });

  it('finds nothing wrong with what CleverTap documents, nor with properties it adds to a documented event', () => {
    const b = batch([
      custom('App Launched', 'other', { 'CT Source': 'Mobile', 'CT App Version': '3.1', 'CT Latitude': 48.85, 'My Property': 'x' }),
      custom('Notification Clicked', 'attribution', { wzrk_pid: '123', 'Campaign id': 9 }),
      { event_type: 'uninstall', data: { custom_attributes: { 'CT Source': 'Mobile', clevertapId: 'abc' } } },
    ], { user_attributes: { ct_email_opt_in: true, ct_sms_opt_in: false, ct_dob: '1990-01-01', favourite_colour: 'teal' } });
    expect(validateBatch(plan, b).results).toEqual([]);
  });

  it('reports an undocumented event, a documented name of another type, opt-in flags that are not booleans and another identity', () => {
    expect(errorsOf(batch([custom('Cart Abandoned', 'other')]))).toEqual(['unplanned Cart Abandoned']);
    expect(errorsOf(batch([custom('App Launched', 'navigation')]))).toEqual(['unplanned App Launched']);
    expect(errorsOf(batch([custom('App Uninstalled', 'other')]))).toEqual(['unplanned App Uninstalled']);
    expect(errorsOf(batch([{ event_type: 'screen_view', data: { screen_name: 'App Launched' } }]))).toEqual(['unplanned App Launched']);
    expect(errorsOf(batch([], { user_attributes: { ct_push_opt_in: 'yes' } }))).toEqual(['invalid_value ct_push_opt_in']);
    expect(errorsOf(batch([], { user_identities: { customer_id: 'ct-1', other_id_2: 'x' } }))).toEqual(['unplanned other_id_2']);
  });
});
