import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { BatchEvent } from '../model/batch.ts';
import type { LogRecord } from '../model/envelope.ts';
import { ENVIRONMENTS } from '../model/event-types.ts';
import { eventMatch, matchKey } from '../planning/data-plan.ts';
import { MatchTree } from '../planning/match-tree.ts';
import {
  addExample,
  ATTRIBUTE_TYPES,
  type AttributeType,
  type CatalogAttribute,
  type CatalogMatch,
  type CatalogPoint,
  categoryOf,
  compareText,
  EXAMPLE_LENGTH,
  EXAMPLE_LIST_LENGTH,
  type ExampleValue,
  isPlannable,
  MAX_EXAMPLES,
  pointName,
  type UnplannableType,
} from './catalog.ts';

/** One bit per {@link ATTRIBUTE_TYPES} entry, so a type set is a number and a union is `|`. */
const STRING = 1 << ATTRIBUTE_TYPES.indexOf('string');
const STRING_LIST = 1 << ATTRIBUTE_TYPES.indexOf('string-list');
const BOOLEAN = 1 << ATTRIBUTE_TYPES.indexOf('boolean');
const NUMBER = 1 << ATTRIBUTE_TYPES.indexOf('number');
const DATE_TIME = 1 << ATTRIBUTE_TYPES.indexOf('date-time');

/** An ISO-8601 calendar date, optionally with a time of day and a UTC offset. */
const ISO_DATE =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?$/;

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Whether a string is an ISO-8601 date or date-time; a cheap look at its shape first, as most strings are not. */
export function isIsoDate(s: string): boolean {
  return s.length >= 10 && s.length <= 40 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && isDigit(s.charCodeAt(0)) && ISO_DATE.test(s);
}

const isString = (v: unknown): v is string => typeof v === 'string';

function typeBit(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return isIsoDate(value) ? DATE_TIME : STRING;
    case 'number':
    case 'bigint':
      return NUMBER;
    case 'boolean':
      return BOOLEAN;
    case 'object':
      return Array.isArray(value) && value.every(isString) ? STRING_LIST : 0;
    default:
      return 0;
  }
}

/**
 * The type the Catalog detects for one value, or undefined for null and for values of no
 * type on mParticle's list (objects, lists of non-strings). A numeric string is a `string`.
 *
 * @example
 *   attributeTypeOf('2024-05-01T10:00:00Z') // 'date-time'
 *   attributeTypeOf('42')                   // 'string'
 */
export function attributeTypeOf(value: unknown): AttributeType | undefined {
  const bit = typeBit(value);
  return bit === 0 ? undefined : ATTRIBUTE_TYPES[Math.log2(bit)];
}

const typesOf = (bits: number): AttributeType[] => ATTRIBUTE_TYPES.filter((_, i) => (bits & (1 << i)) !== 0);
const cut = (s: string) => (s.length > EXAMPLE_LENGTH ? s.slice(0, EXAMPLE_LENGTH) : s);

function exampleOf(value: unknown, bit: number): ExampleValue {
  if (bit === STRING_LIST) return (value as string[]).slice(0, EXAMPLE_LIST_LENGTH).map(cut);
  if (bit === STRING || bit === DATE_TIME) return cut(value as string);
  return value as number | boolean;
}

interface AttributeAcc {
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  types: number;
  examples: ExampleValue[];
  /** Whose record gave each example: `examples`' MPIDs, in their order. */
  sources: Mpid[];
}

interface PointAcc {
  key: string;
  match: CatalogMatch;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  environments: number;
  attributes: Map<string, AttributeAcc>;
  description?: string;
}

/** The point of an event no point was made for yet: its match (`eventMatch`'s, where there is one) and key. */
function pointFor(event: BatchEvent): PointAcc {
  const match: CatalogMatch = eventMatch(event) ?? { type: event.event_type as UnplannableType };
  return newPoint(isPlannable(match) ? matchKey(match) : match.type, match);
}

/** The point of a user part (`user_attributes`, `user_identities`), made on first sight. */
function userPoint(tree: MatchTree<PointAcc>, type: 'user_attributes' | 'user_identities'): PointAcc {
  return tree.at(type) ?? tree.set(type, '', '', newPoint(type, { type }));
}

/**
 * Gathers what records show of each workspace's data points until {@link drain}ed. Everything
 * per event is counters and a few map lookups; objects are made only for a point or an
 * attribute not yet seen since the last drain, and for at most {@link MAX_EXAMPLES} examples.
 *
 * Counted: a point once per event (user attributes and identities: once per batch that has any),
 * an attribute once per event (or batch) that has it, a null value included (but it gives no
 * type and no example). Times are when Quanta received the batch. Identity values are never kept
 * as examples: they identify people, and the Catalog describes data, not users.
 *
 * @example
 *   const acc = new CatalogAccumulator();
 *   acc.observe(record);
 *   await store.apply(acc.drain(), offsets);
 */
export class CatalogAccumulator {
  private workspaces = new Map<WorkspaceId, MatchTree<PointAcc>>();

  get isEmpty(): boolean {
    return this.workspaces.size === 0;
  }

  /**
   * Counts what the record shows. `descriptions` (by point key) are those the record's source
   * documents for its events (a partner feed's contract): each event's point takes its own.
   */
  observe(record: LogRecord, descriptions?: ReadonlyMap<string, string>): void {
    const { batch, receivedAtMs: at } = record;
    let tree = this.workspaces.get(record.workspaceId);
    if (!tree) {
      tree = new MatchTree();
      this.workspaces.set(record.workspaceId, tree);
    }
    const environment = 1 << ENVIRONMENTS.indexOf(batch.environment);
    for (const event of batch.events) {
      const point = tree.getOrCreate(event, pointFor);
      seen(point, at, environment);
      const description = descriptions?.get(point.key);
      if (description !== undefined) point.description = description;
      const attributes = event.data.custom_attributes;
      if (attributes) observeAttributes(point, attributes, at, record.mpid);
    }
    if (hasKeys(batch.user_attributes)) {
      const users = userPoint(tree, 'user_attributes');
      seen(users, at, environment);
      observeAttributes(users, batch.user_attributes, at, record.mpid);
    }
    if (hasKeys(batch.user_identities)) {
      const identities = userPoint(tree, 'user_identities');
      seen(identities, at, environment);
      observeAttributes(identities, batch.user_identities, at, null);
    }
  }

  /** Every point gathered since the last drain, as deltas; the accumulator starts empty again. */
  drain(): CatalogPoint[] {
    const out: CatalogPoint[] = [];
    for (const [workspaceId, tree] of this.workspaces) {
      for (const p of tree.values()) out.push(delta(workspaceId, p));
    }
    this.workspaces = new Map();
    return out;
  }
}

function delta(workspaceId: WorkspaceId, p: PointAcc): CatalogPoint {
  const attributes: CatalogAttribute[] = [];
  for (const [name, a] of p.attributes) {
    attributes.push({
      name,
      count: a.count,
      firstSeenMs: a.firstSeenMs,
      lastSeenMs: a.lastSeenMs,
      types: typesOf(a.types),
      examples: a.examples,
      ...(a.sources.length > 0 ? { exampleSources: a.sources } : {}),
    });
  }
  attributes.sort((x, y) => compareText(x.name, y.name));
  return {
    workspaceId,
    key: p.key,
    match: p.match,
    category: categoryOf(p.match.type),
    name: pointName(p.match, p.key),
    count: p.count,
    firstSeenMs: p.firstSeenMs,
    lastSeenMs: p.lastSeenMs,
    environments: ENVIRONMENTS.filter((_, i) => (p.environments & (1 << i)) !== 0),
    attributes,
    ...(p.description !== undefined ? { description: p.description } : {}),
  };
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function newPoint(key: string, match: CatalogMatch): PointAcc {
  return { key, match, count: 0, firstSeenMs: Infinity, lastSeenMs: -Infinity, environments: 0, attributes: new Map() };
}

function seen(p: PointAcc, at: number, environment: number): void {
  p.count++;
  if (at < p.firstSeenMs) p.firstSeenMs = at;
  if (at > p.lastSeenMs) p.lastSeenMs = at;
  p.environments |= environment;
}

/** `examplesOf`: the user whose values these are, whose values become examples; null to keep none (identities). */
function observeAttributes(p: PointAcc, values: Readonly<Record<string, unknown>>, at: number, examplesOf: Mpid | null): void {
  for (const name in values) {
    const value = values[name];
    let a = p.attributes.get(name);
    if (!a) {
      a = { count: 0, firstSeenMs: at, lastSeenMs: at, types: 0, examples: [], sources: [] };
      p.attributes.set(name, a);
    }
    a.count++;
    if (at < a.firstSeenMs) a.firstSeenMs = at;
    if (at > a.lastSeenMs) a.lastSeenMs = at;
    const bit = typeBit(value);
    a.types |= bit;
    // Most values repeat one already kept: `includes` finds those without copying anything.
    if (examplesOf !== null && bit !== 0 && a.examples.length < MAX_EXAMPLES && !a.examples.includes(value as ExampleValue)) {
      if (addExample(a.examples, exampleOf(value, bit))) a.sources.push(examplesOf);
    }
  }
}
