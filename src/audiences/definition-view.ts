import { type AudienceNode, type EventCriterion, type FirstSeenCriterion, TIME_UNITS, type TimeUnit } from './definition.ts';

/** A definition as the API answers it: the form a create or update takes, so what is read can be sent back. */
export type DefinitionJson = { readonly [kind: string]: unknown };

const DAY_MS = TIME_UNITS.days;
/** Largest first: a window is answered in the largest unit that holds it whole. */
const UNITS_DESCENDING = (Object.keys(TIME_UNITS) as TimeUnit[]).sort((a, b) => TIME_UNITS[b] - TIME_UNITS[a]);

/**
 * A stored (normalised) definition in the form a request sends it: windows as `{value, unit}`,
 * dates as `YYYY-MM-DD` (or the instant, when not the start of a UTC day), so a definition read
 * can be sent back unchanged.
 */
export function definitionView(node: AudienceNode): DefinitionJson {
  if ('and' in node) return { and: node.and.map(definitionView) };
  if ('or' in node) return { or: node.or.map(definitionView) };
  if ('not' in node) return { not: definitionView(node.not) };
  if ('event' in node) return { event: eventView(node.event) };
  if ('first_seen' in node) return { first_seen: spanView(node.first_seen) };
  // The other kinds are stored as they are sent.
  return node;
}

function eventView(e: EventCriterion): DefinitionJson {
  const { withinMs, afterMs, beforeMs, ...rest } = e;
  return { ...rest, ...spanView({ withinMs, afterMs, beforeMs }) };
}

function spanView(s: FirstSeenCriterion): DefinitionJson {
  return {
    ...(s.withinMs === null ? {} : { within: windowView(s.withinMs) }),
    ...(s.afterMs === null ? {} : { after: dayView(s.afterMs) }),
    ...(s.beforeMs === null ? {} : { before: dayView(s.beforeMs) }),
  };
}

function windowView(ms: number): { value: number; unit: TimeUnit } {
  const unit = UNITS_DESCENDING.find((u) => ms % TIME_UNITS[u] === 0) ?? 'seconds';
  return { value: ms / TIME_UNITS[unit], unit };
}

const dayView = (ms: number) => (ms % DAY_MS === 0 ? new Date(ms).toISOString().slice(0, 10) : new Date(ms).toISOString());
