import { type ErrorDetail, problem } from '../kernel/errors.ts';
import { CatalogQueryInvalid } from './catalog-errors.ts';
import type { Environment } from '../model/event-types.ts';
import type { CompiledPlan, CompiledPoint } from '../planning/plan-compiler.ts';
import type { CompiledVersion } from '../planning/plan-registry.ts';
import { isIsoDate } from './catalog-accumulator.ts';
import {
  type AttributeType,
  CATALOG_CATEGORIES,
  type CatalogCategory,
  type CatalogMatch,
  type CatalogPoint,
  compareText,
  type ExampleValue,
  isPlannable,
} from './catalog.ts';

/** Which data points to show; every field narrows the list. */
export interface CatalogFilter {
  category?: CatalogCategory;
  /** A substring of the point's name, any case. */
  search?: string;
  environment?: Environment;
  /** Last seen at or after. */
  seenAfterMs?: number;
  /** Last seen before. */
  seenBeforeMs?: number;
}

/** The query of the Catalog API once its schema has checked `category` and `environment`. */
export interface CatalogQuery {
  category?: CatalogCategory;
  search?: string;
  environment?: Environment;
  seen_after?: string;
  seen_before?: string;
}

/**
 * Reads the Catalog API's filters; throws a {@link CatalogQueryInvalid} naming each date that is
 * not ISO 8601 and a range that ends before it starts.
 */
export function parseCatalogFilter(query: CatalogQuery): CatalogFilter {
  const problems: ErrorDetail[] = [];
  const date = (field: 'seen_after' | 'seen_before'): number | undefined => {
    const value = query[field];
    if (value === undefined) return undefined;
    // A time of day without an offset is read as UTC, as a date alone is, whatever the server's zone.
    const ms = isIsoDate(value) ? Date.parse(/T[\d:.,]*$/.test(value) ? `${value}Z` : value) : NaN;
    if (Number.isNaN(ms)) {
      problems.push(problem(`${field} must be an ISO 8601 date or date-time, like 2024-05-01 or 2024-05-01T12:00:00Z (got "${value}").`));
      return undefined;
    }
    return ms;
  };
  const seenAfterMs = date('seen_after');
  const seenBeforeMs = date('seen_before');
  if (seenAfterMs !== undefined && seenBeforeMs !== undefined && seenBeforeMs <= seenAfterMs) {
    problems.push(problem('seen_before must be later than seen_after.'));
  }
  if (problems.length > 0) throw new CatalogQueryInvalid(problems);
  const search = query.search?.trim().toLowerCase();
  return {
    ...(query.category !== undefined ? { category: query.category } : {}),
    ...(search ? { search } : {}),
    ...(query.environment !== undefined ? { environment: query.environment } : {}),
    ...(seenAfterMs !== undefined ? { seenAfterMs } : {}),
    ...(seenBeforeMs !== undefined ? { seenBeforeMs } : {}),
  };
}

/** The points the filter lets through, in list-view order: by category, then name. */
export function filterPoints(points: readonly CatalogPoint[], filter: CatalogFilter): CatalogPoint[] {
  return points
    .filter(
      (p) =>
        (filter.category === undefined || p.category === filter.category) &&
        (filter.search === undefined || p.name.toLowerCase().includes(filter.search)) &&
        (filter.environment === undefined || p.environments.includes(filter.environment)) &&
        (filter.seenAfterMs === undefined || p.lastSeenMs >= filter.seenAfterMs) &&
        (filter.seenBeforeMs === undefined || p.lastSeenMs < filter.seenBeforeMs),
    )
    .sort(
      (a, b) =>
        CATALOG_CATEGORIES.indexOf(a.category) - CATALOG_CATEGORIES.indexOf(b.category) ||
        compareText(a.name, b.name) ||
        compareText(a.key, b.key),
    );
}

export interface CoveredBy {
  data_plan_id: string;
  version: number;
}

export interface CatalogAttributeView {
  name: string;
  count: number;
  first_seen: string;
  last_seen: string;
  types: AttributeType[];
  examples: ExampleValue[];
  covered_by: CoveredBy[];
}

export interface CatalogPointView {
  match: CatalogMatch;
  category: CatalogCategory;
  name: string;
  /** What it is, as the source that sends it documents it (a partner feed's contract); null when none did. */
  description: string | null;
  /** Whether a data plan can describe it (push, profile and change events cannot). */
  plannable: boolean;
  count: number;
  first_seen: string;
  last_seen: string;
  environments: Environment[];
  covered_by: CoveredBy[];
  attributes: CatalogAttributeView[];
}

/** The plan's data point for a catalog point, if it plans it. */
function plannedPoint(plan: CompiledPlan, point: CatalogPoint): CompiledPoint | undefined {
  if (!isPlannable(point.match)) return undefined;
  if (point.match.type === 'user_attributes') return plan.userAttributes;
  if (point.match.type === 'user_identities') return plan.userIdentities;
  return plan.events.get(point.key);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where a data point's schema names its attributes: event custom attributes, or the user part itself. */
const EVENT_ATTRIBUTES_PATH = ['properties', 'data', 'properties', 'custom_attributes', 'properties'];
const USER_PART_PATH = ['properties'];

/** The attribute names a planned point's JSON Schema lists. */
function plannedNames(point: CompiledPoint): ReadonlySet<string> {
  const path = point.match.type === 'user_attributes' || point.match.type === 'user_identities' ? USER_PART_PATH : EVENT_ATTRIBUTES_PATH;
  let node: unknown = point.check.schema;
  for (const step of path) node = isObject(node) ? node[step] : undefined;
  return new Set(isObject(node) ? Object.keys(node) : []);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The Catalog API's view of points: ISO times, and for each point and attribute the active plan
 * versions that plan it. A plan covers a point when it has a data point with the same match, and
 * an attribute when that data point's schema names it (under
 * `properties.data.properties.custom_attributes.properties` for events, `properties` for user
 * attributes and identities).
 */
export function catalogView(points: readonly CatalogPoint[], plans: readonly Pick<CompiledVersion, 'planId' | 'version' | 'compiled'>[]): CatalogPointView[] {
  return points.map((p) => {
    const covering = plans.flatMap((plan) => {
      const planned = plannedPoint(plan.compiled, p);
      return planned ? [{ by: { data_plan_id: plan.planId, version: plan.version }, names: plannedNames(planned) }] : [];
    });
    return {
      match: p.match,
      category: p.category,
      name: p.name,
      description: p.description ?? null,
      plannable: isPlannable(p.match),
      count: p.count,
      first_seen: iso(p.firstSeenMs),
      last_seen: iso(p.lastSeenMs),
      environments: p.environments,
      covered_by: covering.map((c) => c.by),
      attributes: p.attributes.map((a) => ({
        name: a.name,
        count: a.count,
        first_seen: iso(a.firstSeenMs),
        last_seen: iso(a.lastSeenMs),
        types: a.types,
        examples: a.examples,
        covered_by: covering.filter((c) => c.names.has(a.name)).map((c) => c.by),
      })),
    };
  });
}
