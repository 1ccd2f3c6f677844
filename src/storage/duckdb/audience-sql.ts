import { dayOf, numberOf, textOf as textOfWanted } from '../../audiences/conditions.ts';
import { type AudienceNode, type Condition, type ConditionValue, DEVICE_INFO_KEYS, type EventCriterion, WISHLIST_ACTIONS } from '../../audiences/definition.ts';
import type { AudienceSelection } from '../../audiences/history-selection.ts';

/**
 * An audience definition compiled to one DuckDB query over the event store (a standard audience,
 * an estimate): every user of the workspace (one row per MPID of `batches`) with `member`, the
 * definition's verdict, computed by the same rules as `audiences/conditions.ts` and
 * `audiences/evaluate.ts`, which the comments below name. Three parts, each one pass over a table:
 *
 * - `ev`: per user, one count per event criterion (`count(*) FILTER (...)`), over the events the
 *   criteria can match (their types, the selection's date range);
 * - `facts`: per user, per fact the definition reads (a user attribute, an identity, a consent
 *   purpose, a device field), the value the latest batch carrying it had (`arg_max`);
 * - `seen` (only with a `first_seen` criterion): the user's earliest event.
 *
 * Every constant is a literal of the definition, quoted ({@link text}); no value reaches the SQL
 * unquoted. Each criterion is a boolean that is never NULL, so NOT and OR mean what they say.
 */
export function audienceSql(selection: AudienceSelection): string {
  const q = new Compiler(selection);
  const where = q.node(selection.definition);
  const ws = Math.trunc(selection.workspaceId);
  const sample = selection.samplePercent === undefined ? '' : ` AND hash(mpid) % 100 < ${Math.trunc(selection.samplePercent)}`;
  const facts = q.facts.map((_, i) => `, arg_max(y${i}, ord) FILTER (WHERE y${i} IS NOT NULL) AS f${i}`).join('');
  const factValues = q.facts.map((f, i) => `, ${f} AS y${i}`).join('');
  const rowValues = q.rowValues.map((v, i) => `, ${v} AS x${i}`).join('');
  const range = [
    selection.fromMs === null ? '' : ` AND event_time >= ${timestamp(selection.fromMs)}`,
    selection.toMs === null ? '' : ` AND event_time < ${timestamp(selection.toMs)}`,
  ].join('');
  const types = [...new Set(q.events.map((e) => e.type))].map(text).join(', ');
  // Each value read from JSON is extracted once per row, in a projection below the aggregate.
  const parts = [
    `facts AS (SELECT mpid, min(received_at) AS first_received${facts}
       FROM (SELECT mpid, received_at, {'r': received_at, 'o': log_offset} AS ord${factValues}
             FROM batches WHERE workspace_id = ${ws}${sample}) GROUP BY mpid)`,
  ];
  const joins: string[] = [];
  if (q.events.length > 0) {
    parts.push(`ev AS (SELECT mpid${q.events.map((e, i) => `, count(*) FILTER (WHERE ${e.sql}) AS e${i}`).join('')}
       FROM (SELECT mpid, event_type, event_name, custom_event_type, event_time${rowValues}
             FROM events WHERE workspace_id = ${ws} AND aliased_from IS NULL AND event_type IN (${types})${range}${sample}) GROUP BY mpid)`);
    joins.push('LEFT JOIN ev ON ev.mpid = u.mpid');
  }
  if (q.firstSeen) {
    parts.push(`seen AS (SELECT mpid, min(event_time) AS first_event FROM events WHERE workspace_id = ${ws} AND aliased_from IS NULL${sample} GROUP BY mpid)`);
    joins.push('LEFT JOIN seen ON seen.mpid = u.mpid');
  }
  if (q.calculated) joins.push(`LEFT JOIN calculated_values cv ON cv.workspace_id = ${ws} AND cv.mpid = u.mpid`);
  return `WITH ${parts.join(',\n')}
    SELECT u.mpid, ${where} AS member FROM facts u ${joins.join(' ')}`;
}

/** The members of the audiences a selection names, as the query reads them (a temporary table the store fills). */
export const NAMED_MEMBERS_TABLE = 'selection_named_members';

/** A SQL string literal. */
export const text = (s: string) => `'${s.replaceAll("'", "''")}'`;
const num = (n: number) => (Number.isFinite(n) ? String(n) : 'NULL');
const timestamp = (ms: number) => `make_timestamp(${Math.trunc(ms)}::BIGINT * 1000)`;

/** A JSON Pointer to one key (`~` and `/` escaped), which quotes nothing else: any key is safe in it. */
const pointer = (key: string) => text(`/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);

/** The key exactly: a key present with JSON null is found (and is "no value" to a condition). */
const exactly = (bag: string, name: string) => `json_extract(${bag}, ${pointer(name)})`;
/** The first key whose name is the same ignoring case. */
const folded = (bag: string, name: string) =>
  `CASE WHEN json_type(${bag}) = 'OBJECT' THEN json_extract(${bag}, '/' || replace(replace(list_filter(json_keys(${bag}), k -> lower(k) = lower(${text(name)}))[1], '~', '~0'), '/', '~1')) END`;
/** `valueNamed` (`audiences/event-tracks.ts`): the key exactly, else the first whose name is the same ignoring case. */
const named = (bag: string, name: string) => `coalesce(${exactly(bag, name)}, ${folded(bag, name)})`;

/**
 * `textOf`: a string as itself, anything else as its JSON text (numbers as JSON writes them, as
 * JavaScript does); NULL for JSON null or no value.
 */
const textOf = (v: string) => `json_extract_string(${v}, '$')`;
/** `numberOf`: a number, or a string that is one (the same pattern), else NULL. */
const numberSql = (v: string) =>
  `(CASE WHEN regexp_full_match(trim(${textOf(v)}), '[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?') THEN CAST(trim(${textOf(v)}) AS DOUBLE) END)`;
/** `dateOf`: epoch milliseconds (a number, not a numeric string), or an ISO 8601 date or date-time, else NULL. */
const dateSql = (v: string) =>
  `(CASE json_type(${v}) WHEN 'BIGINT' THEN CAST(${v} AS DOUBLE) WHEN 'UBIGINT' THEN CAST(${v} AS DOUBLE) WHEN 'DOUBLE' THEN CAST(${v} AS DOUBLE)
    WHEN 'VARCHAR' THEN CASE WHEN regexp_matches(${textOf(v)}, '^\\d{4}-\\d{2}-\\d{2}') THEN epoch_ms(try_cast(${textOf(v)} AS TIMESTAMP)) END END)`;
const present = (v: string) => `(${textOf(v)} IS NOT NULL)`;
/** `listOf`: a list's elements, or the value alone. */
const listOf = (v: string) => `(CASE WHEN json_type(${v}) = 'ARRAY' THEN from_json(${v}, '["JSON"]') ELSE [${v}] END)`;
const any = (v: string, test: (e: string) => string) => `coalesce(list_bool_or(list_transform(${listOf(v)}, e -> ${test('e')})), false)`;

/** `equals`: as numbers when both are, else as text ignoring case. */
function equalsSql(v: string, wanted: ConditionValue | null): string {
  if (wanted === null || Array.isArray(wanted)) return 'false';
  const n = numberOf(wanted);
  if (n !== undefined) return `coalesce(${numberSql(v)} = ${num(n)}, false)`;
  return `coalesce(lower(${textOf(v)}) = lower(${text(textOfWanted(wanted))}), false)`;
}

/** `contains`: a list when one element does, else the value's text ignoring case. */
function containsSql(v: string, wanted: ConditionValue | null): string {
  if (wanted === null || Array.isArray(wanted)) return 'false';
  const needle = `lower(${text(textOfWanted(wanted))})`;
  return `(CASE WHEN json_type(${v}) = 'ARRAY' THEN ${any(v, (e) => `contains(lower(${textOf(e)}), ${needle})`)}
    ELSE coalesce(contains(lower(${textOf(v)}), ${needle}), false) END)`;
}

/** `patternOf` as ILIKE: `*` any characters, `?` one, the rest literal. */
function likeOf(pattern: string): string {
  const body = [...pattern].map((c) => (c === '*' ? '%' : c === '?' ? '_' : c === '%' || c === '_' || c === '\\' ? `\\${c}` : c)).join('');
  return `${text(body)} ESCAPE '\\'`;
}

const atMost = (a: string, b: number | undefined) => (b === undefined ? 'false' : `coalesce(${a} < ${num(b)}, false)`);
const atLeast = (a: string, b: number | undefined) => (b === undefined ? 'false' : `coalesce(${a} >= ${num(b)}, false)`);

/** `testCondition` over the JSON value `v` (SQL NULL when there is none). */
export function conditionSql(c: Pick<Condition, 'operator' | 'value'>, v: string): string {
  const wanted = c.value;
  switch (c.operator) {
    case 'exists':
      return present(v);
    case 'not_exists':
      return `NOT ${present(v)}`;
    case 'not_equals':
      return `(NOT ${present(v)} OR NOT ${equalsSql(v, wanted)})`;
    case 'not_contains':
      return `(NOT ${present(v)} OR NOT ${containsSql(v, wanted)})`;
    case 'not_includes':
      return `(NOT ${present(v)} OR NOT ${any(v, (e) => equalsSql(e, wanted))})`;
    default:
      return `(${present(v)} AND ${positive(c, v)})`;
  }
}

function positive(c: Pick<Condition, 'operator' | 'value'>, v: string): string {
  const wanted = c.value;
  switch (c.operator) {
    case 'equals':
      return equalsSql(v, wanted);
    case 'contains':
      return containsSql(v, wanted);
    case 'pattern':
      return typeof wanted === 'string' ? `coalesce(${textOf(v)} ILIKE ${likeOf(wanted)}, false)` : 'false';
    case 'greater_than': {
      const n = numberOf(wanted);
      return n === undefined ? 'false' : `coalesce(${numberSql(v)} > ${num(n)}, false)`;
    }
    case 'less_than': {
      const n = numberOf(wanted);
      return n === undefined ? 'false' : `coalesce(${numberSql(v)} < ${num(n)}, false)`;
    }
    case 'between':
      return betweenSql(v, wanted);
    case 'includes':
      return any(v, (e) => equalsSql(e, wanted));
    case 'partial_match':
      return any(v, (e) => containsSql(e, wanted));
    case 'before':
      return atMost(dateSql(v), dayOf(wanted)?.start);
    case 'after':
      return atLeast(dateSql(v), dayOf(wanted)?.start);
    case 'on': {
      const day = dayOf(wanted);
      return day === undefined ? 'false' : `(${atLeast(dateSql(v), day.start)} AND ${atMost(dateSql(v), day.end)})`;
    }
    default:
      return 'false';
  }
}

/** `between`: numbers inclusive when the value and both ends are numbers, else dates from the first day's start to the second's end. */
function betweenSql(v: string, wanted: ConditionValue | null): string {
  if (!Array.isArray(wanted)) return 'false';
  const [low, high] = wanted as readonly [string | number, string | number];
  const from = dayOf(low);
  const to = dayOf(high);
  const dates = from === undefined || to === undefined ? 'false' : `(${atLeast(dateSql(v), from.start)} AND ${atMost(dateSql(v), to.end)})`;
  const lo = numberOf(low);
  const hi = numberOf(high);
  if (lo === undefined || hi === undefined) return dates;
  return `(CASE WHEN ${numberSql(v)} IS NOT NULL THEN coalesce(${numberSql(v)} BETWEEN ${num(lo)} AND ${num(hi)}, false) ELSE ${dates} END)`;
}

/** Walks a definition: each criterion's SQL, and the counts and facts the query's parts must compute for it. */
class Compiler {
  readonly events: { type: string; sql: string }[] = [];
  /** Values of a batch the facts read (`y<i>`: the latest non-null of each is `f<i>`). */
  readonly facts: string[] = [];
  /** Values of an event the criteria read (`x<i>`), extracted only from the events their criterion selects. */
  readonly rowValues: string[] = [];
  firstSeen = false;
  calculated = false;

  constructor(private readonly selection: AudienceSelection) {}

  node(n: AudienceNode): string {
    if ('and' in n) return n.and.length === 0 ? 'true' : `(${n.and.map((c) => this.node(c)).join(' AND ')})`;
    if ('or' in n) return n.or.length === 0 ? 'false' : `(${n.or.map((c) => this.node(c)).join(' OR ')})`;
    if ('not' in n) return `(NOT ${this.node(n.not)})`;
    if ('event' in n) return this.event(n.event);
    if ('user_attribute' in n) return conditionSql(n.user_attribute, this.namedFact('user_attributes', n.user_attribute.name ?? ''));
    if ('calculated_attribute' in n) {
      this.calculated = true;
      return conditionSql(n.calculated_attribute, named('cv."values"', n.calculated_attribute.name ?? ''));
    }
    if ('identity' in n) return this.identity(n.identity);
    if ('audience' in n) {
      const { id, member } = n.audience;
      return `((u.mpid IN (SELECT mpid FROM ${NAMED_MEMBERS_TABLE} WHERE audience_id = ${Math.trunc(id)})) = ${member})`;
    }
    if ('consent' in n) {
      const c = n.consent;
      // `consentedOf`: a state whose `consented` is true; a user with none recorded has not consented.
      const state = c.regulation === 'ccpa' ? this.fact("json_extract(consent_state, '/ccpa/data_sale_opt_out')") : this.namedFact("json_extract(consent_state, '/gdpr')", c.purpose);
      return `(coalesce(json_type(${state}, '/consented') = 'BOOLEAN' AND json_extract_string(${state}, '/consented') = 'true', false) = ${c.consented})`;
    }
    if ('first_seen' in n) {
      this.firstSeen = true;
      const c = n.first_seen;
      const first = 'epoch_ms(coalesce(seen.first_event, u.first_received))';
      const tests = [
        c.withinMs === null ? null : `${Math.trunc(this.selection.nowMs)} - ${first} <= ${c.withinMs}`,
        c.afterMs === null ? null : `${first} >= ${c.afterMs}`,
        c.beforeMs === null ? null : `${first} < ${c.beforeMs}`,
      ].filter((t) => t !== null);
      return `coalesce(${tests.length === 0 ? 'true' : tests.join(' AND ')}, false)`;
    }
    if ('device' in n) {
      const keys = DEVICE_INFO_KEYS[n.device.field];
      const values = keys.map((k) => this.fact(exactly('device_info', k)));
      // `??`: the first key whose value is not null.
      const value = `coalesce(${values.map((v) => `CASE WHEN json_type(${v}) <> 'NULL' THEN ${v} END`).join(', ')})`;
      return conditionSql(n.device, value);
    }
    throw new Error(`unhandled audience node ${JSON.stringify(n)}`);
  }

  /** A fact of the latest batch carrying it: its column in `facts`, shared by every criterion reading it. */
  private fact(sql: string): string {
    let i = this.facts.indexOf(sql);
    if (i < 0) i = this.facts.push(sql) - 1;
    return `u.f${i}`;
  }

  /** A value of each event, extracted once per event: its column in the projection `ev` aggregates. */
  private rowValue(sql: string): string {
    let i = this.rowValues.indexOf(sql);
    if (i < 0) i = this.rowValues.push(sql) - 1;
    return `x${i}`;
  }

  /**
   * A named value of a bag the profile merges batch by batch (user attributes, consent purposes):
   * the latest batch's value under the exact name, else (no batch has that name) under the name in
   * another case, as `valueNamed` reads the merged bag. The second is sought only in batches
   * without the first: it is used only when no batch has it.
   */
  private namedFact(bag: string, name: string): string {
    const exact = exactly(bag, name);
    return `coalesce(${this.fact(exact)}, ${this.fact(`CASE WHEN ${exact} IS NULL THEN ${folded(bag, name)} END`)})`;
  }

  private identity(c: Extract<AudienceNode, { identity: unknown }>['identity']): string {
    // The stage keeps, per type, the latest non-empty string a batch carried.
    const raw = `json_extract(user_identities, ${pointer(c.type)})`;
    const held = this.fact(`CASE WHEN json_type(${raw}) = 'VARCHAR' AND json_extract_string(${raw}, '$') <> '' THEN json_extract_string(${raw}, '$') END`);
    const value = text(c.value ?? '');
    switch (c.operator) {
      case 'exists':
        return `(${held} IS NOT NULL)`;
      case 'not_exists':
        return `(${held} IS NULL)`;
      case 'equals':
        return `coalesce(lower(${held}) = lower(${value}), false)`;
      case 'contains':
        return `coalesce(contains(lower(${held}), lower(${value})), false)`;
      default:
        return `coalesce(${held} ILIKE ${likeOf(c.value ?? '')}, false)`;
    }
  }

  /** `evaluateEvent`: the user's matching events (in the window, with one) against the count. */
  private event(c: EventCriterion): string {
    // What columns select, then what is read from the event's JSON, extracted only for the events selected.
    const selector = [`event_type = ${text(c.event_type)}`];
    if (c.event_name !== null) selector.push(`event_name = ${text(c.event_name)}`);
    if (c.custom_event_type !== null && c.event_type === 'custom_event') selector.push(`custom_event_type = ${text(c.custom_event_type)}`);
    const selected = (sql: string) => this.rowValue(`CASE WHEN ${selector.join(' AND ')} THEN ${sql} END`);
    const matches = [...selector];
    if (c.custom_event_type !== null && c.event_type !== 'custom_event') matches.push(`${selected("json_extract_string(data, '/custom_event_type')")} = ${text(c.custom_event_type)}`);
    if (c.product_action !== null) {
      const actions = WISHLIST_ACTIONS.includes(c.product_action) ? WISHLIST_ACTIONS : [c.product_action];
      const action = this.rowValue(`CASE WHEN event_type = ${text(c.event_type)} THEN json_extract_string(data, '/product_action/action') END`);
      matches.push(`${action} IN (${actions.map(text).join(', ')})`);
    }
    if (c.afterMs !== null) matches.push(`event_time >= ${timestamp(c.afterMs)}`);
    if (c.beforeMs !== null) matches.push(`event_time < ${timestamp(c.beforeMs)}`);
    if (c.withinMs !== null) matches.push(`event_time >= ${timestamp(this.selection.nowMs - c.withinMs)}`);
    for (const condition of c.attributes) {
      const name = condition.name ?? '';
      const value = `coalesce(json_extract(data, ${text(`/custom_attributes/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`)}), ${folded("json_extract(data, '/custom_attributes')", name)})`;
      matches.push(conditionSql(condition, selected(value)));
    }
    const i = this.events.push({ type: c.event_type, sql: matches.join(' AND ') }) - 1;
    const events = `coalesce(ev.e${i}, 0)`;
    const { operator, value } = c.count;
    const op = operator === 'at_least' ? '>=' : operator === 'at_most' ? '<=' : '=';
    return `(${events} ${op} ${Math.trunc(value)})`;
  }
}
