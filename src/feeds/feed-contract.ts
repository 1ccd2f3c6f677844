import type { CustomEventType } from '../model/event-types.ts';
import { type DataPlanMatch, matchKey } from '../planning/data-plan.ts';
import type { NewPlan } from '../planning/plan-document.ts';
import type { DataPoint, VersionDocument } from '../planning/plan-store.ts';

/** How a partner sends one of its events: a custom event of a custom event type, or an event type of its own (`uninstall`). */
export type ContractEventKind = { readonly eventType: 'custom_event'; readonly customEventType: CustomEventType } | { readonly eventType: 'uninstall' };

/** One event a partner feed sends, as the partner's page lists it. */
export type ContractEvent = ContractEventKind & {
  /** The event's name, as the partner spells it. */
  readonly name: string;
  readonly description: string;
  /** The event attributes the partner documents, named as sent; others may come too. */
  readonly attributes: readonly string[];
};

/** One user attribute a partner feed sets. */
export interface ContractUserAttribute {
  readonly name: string;
  readonly description: string;
  readonly type: 'string' | 'boolean';
}

/**
 * What a partner feed module sends (its page's "Supported Event Types", "User Attributes" and
 * "Supported Identities"), kept as data and checked as a data plan ({@link contractPlan}).
 */
export interface FeedContract {
  /** The id of the plan the contract becomes in each workspace with a feed of the module. */
  readonly planId: string;
  readonly planName: string;
  readonly description: string;
  readonly events: readonly ContractEvent[];
  readonly userAttributes: readonly ContractUserAttribute[];
  /** Identity types, as the Events API names them (`customer_id`, `email`). */
  readonly identities: readonly string[];
}

/** The data plan match of a contract event. */
export function contractMatch(event: ContractEventKind & { readonly name: string }): DataPlanMatch {
  return event.eventType === 'custom_event'
    ? { type: 'custom_event', criteria: { event_name: event.name, custom_event_type: event.customEventType } }
    : { type: event.eventType };
}

const untyped = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, {}]));

/**
 * A contract event's data point. Its attributes are listed, untyped (the partner does not say
 * their types), and others are allowed: partners send their own properties beside the documented ones.
 */
function eventPoint(event: ContractEvent): DataPoint {
  const match: DataPoint['match'] =
    event.eventType === 'custom_event'
      ? { type: 'custom_event', criteria: { event_name: event.name, custom_event_type: event.customEventType } }
      : { type: event.eventType };
  return {
    description: event.description,
    match,
    validator: {
      type: 'json_schema',
      definition: {
        type: 'object',
        properties: {
          data: {
            type: 'object',
            additionalProperties: true,
            properties: { custom_attributes: { type: 'object', additionalProperties: true, properties: untyped(event.attributes) } },
          },
        },
      },
    },
  };
}

/**
 * The contract as a version document the Data Planning API accepts: a data point per event, the
 * user attributes (typed; other user properties allowed, as partners export their own) and the
 * identities (no others). No validation actions: a contract only reports (see the data-plan stage).
 */
export function contractDocument(contract: FeedContract): VersionDocument {
  const userAttributes: DataPoint = {
    description: `User attributes ${contract.planName} sets`,
    match: { type: 'user_attributes' },
    validator: {
      type: 'json_schema',
      definition: {
        type: 'object',
        additionalProperties: true,
        properties: Object.fromEntries(contract.userAttributes.map((a) => [a.name, { type: a.type, description: a.description }])),
      },
    },
  };
  const identities: DataPoint = {
    description: `The identities ${contract.planName} sends`,
    match: { type: 'user_identities' },
    validator: {
      type: 'json_schema',
      definition: { type: 'object', additionalProperties: false, properties: Object.fromEntries(contract.identities.map((i) => [i, { type: 'string' }])) },
    },
  };
  return { data_points: [...contract.events.map(eventPoint), userAttributes, identities] };
}

/** The body of `POST /platform/v2/workspaces/{ws}/plans` that creates the contract's plan, version 1 live in both environments. */
export function contractPlan(contract: FeedContract): NewPlan {
  return {
    data_plan_id: contract.planId,
    data_plan_name: contract.planName,
    data_plan_description: contract.description,
    data_plan_versions: [
      {
        version: 1,
        version_description: `${contract.planName}, as Quanta knows it`,
        activated_environment: 'production',
        version_document: contractDocument(contract),
      },
    ],
  };
}

/** Each contract event's description, by its data point's match key (the Catalog's point key). */
export function contractDescriptions(contract: FeedContract): ReadonlyMap<string, string> {
  return new Map(contract.events.map((e) => [matchKey(contractMatch(e)), e.description]));
}
