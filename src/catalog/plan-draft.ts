import type { DataPlanMatch, DataPlanPoint } from '../planning/data-plan.ts';
import type { AttributeType, CatalogAttribute, CatalogPoint } from './catalog.ts';
import { compareText, isPlannable } from './catalog.ts';

type Schema = Record<string, unknown>;

function typeSchema(type: AttributeType): Schema {
  switch (type) {
    case 'string':
      return { type: 'string' };
    case 'string-list':
      return { type: 'array', items: { type: 'string' } };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return { type: 'number' };
    case 'date-time':
      return { type: 'string', format: 'date-time' };
    default: {
      const unreachable: never = type;
      throw new Error(`unknown attribute type ${String(unreachable)}`);
    }
  }
}

/**
 * The schema of an attribute from the types seen: one type as is, several as `anyOf`, none
 * (only nulls or unknown shapes seen) as `{}`. A `string` also seen as a date is just a string.
 */
export function attributeSchema(types: readonly AttributeType[]): Schema {
  const kinds = types.includes('string') ? types.filter((t) => t !== 'date-time') : types;
  if (kinds.length === 0) return {};
  if (kinds.length === 1) return typeSchema(kinds[0]!);
  return { anyOf: kinds.map(typeSchema) };
}

const properties = (attributes: readonly CatalogAttribute[]): Schema =>
  Object.fromEntries(attributes.map((a) => [a.name, attributeSchema(a.types)]));

function definition(point: CatalogPoint): Schema {
  const listed = { type: 'object', additionalProperties: false, properties: properties(point.attributes) };
  if (point.match.type === 'user_attributes' || point.match.type === 'user_identities') return listed;
  return { type: 'object', properties: { data: { type: 'object', additionalProperties: true, properties: { custom_attributes: listed } } } };
}

/** Whether a plan can hold the point: plannable, and every criterion it needs has a value. */
function draftable(point: CatalogPoint): point is CatalogPoint & { match: DataPlanMatch } {
  if (!isPlannable(point.match)) return false;
  const criteria: object = 'criteria' in point.match && point.match.criteria ? point.match.criteria : {};
  return Object.values(criteria).every((v) => typeof v === 'string' && v !== '');
}

/**
 * A data plan version document that plans what the Catalog has seen: one data point per
 * plannable point (by key), whose schema lists every attribute seen with the types detected and
 * refuses others, with the point's description where the Catalog has one. Points a plan cannot
 * hold (push, profile and change events; events without a name or action) are left out. The
 * Data Planning API accepts it as is.
 *
 * @example
 *   draftPlan(await store.points(ws)) // { data_points: [{ match: {type: 'custom_event', ...}, validator: {...} }] }
 */
export function draftPlan(points: readonly CatalogPoint[]): { data_points: DataPlanPoint[] } {
  return {
    data_points: points
      .filter(draftable)
      .sort((a, b) => compareText(a.key, b.key))
      .map((p) => ({ ...(p.description !== undefined ? { description: p.description } : {}), match: p.match, validator: { type: 'json_schema', definition: definition(p) } })),
  };
}
