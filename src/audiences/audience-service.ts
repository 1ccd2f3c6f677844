import type { Actor } from '../model/actor.ts';
import { problem } from '../kernel/errors.ts';
import { KeyedQueue } from '../kernel/keyed-queue.ts';
import { parseMpid, type WorkspaceId } from '../kernel/ids.ts';
import { AudienceInUse, AudienceInvalid, AudienceMembersAfterInvalid, AudienceNotFound } from './audience-errors.ts';
import { type Audience, type AudienceCalculation, type AudienceStore, type DateRange, startedCalculation } from './audience-store.ts';
import { type AudienceNode, audiencesNamed } from './definition.ts';
import { type DefinitionJson, definitionView } from './definition-view.ts';
import { type DefinitionContext, parseAudienceDefinition } from './parse-definition.ts';
import type { SizeEstimate } from './standard-calculations.ts';

/** Who made a change: the API client, as the audit fields record it (`client_id:<id>`). */

export interface AudienceServiceOptions {
  /** Told after each activation (and each restart of an active audience's calculation), so the processor starts at once. */
  onActivated?: () => void;
  /** The clock, in ms (tests pin it). */
  now?: () => number;
  /** An audience's size estimated from a sample (the processor's, which holds the event store). */
  estimate?: (ws: WorkspaceId, id: number) => Promise<SizeEstimate | undefined>;
}


/** An audience as the Platform API v2 answers it: the stored audience, its definition in the form a request sends it. */
export type AudienceView = Omit<Audience, 'workspaceId' | 'revision' | 'definition' | 'date_range'> & { definition: DefinitionJson; date_range?: DateRange | null };

/** `GET .../audiences/{id}/activation`: whether it is active, and how far its current revision's calculation has come. */
export interface ActivationView {
  id: number;
  is_active: boolean;
  revision: number;
  calculation: {
    status: AudienceCalculation['status'];
    /** A standard audience's query: how far it has come (0-100). */
    progress_percent?: number;
    users_done: number;
    users_total: number | null;
    started_at: string;
    completed_at: string | null;
  } | null;
}

/** `GET .../audiences/{id}/members`: one page, by MPID in numeric order. */
export interface MembersPage {
  audience_id: number;
  members: { mpid: string; added_at: string }[];
  /** The `after` of the next page; null when this page is the last. */
  next_after: string | null;
}

/** An audience as mParticle's Platform API v1 lists it (`GET /v1/audiences`). */
export interface AccountAudienceView {
  id: number;
  name: string;
  external_name: string;
  size: number;
  created_by: string;
  last_modified_by: string | null;
  last_modified_on: string | null;
  is_calculated: boolean;
  status: 'active' | 'draft';
  workspaces: { id: number; data_type: 'workspace' }[];
  connected_outputs: never[];
  data_type: 'audience';
}

export const MAX_NAME_LENGTH = 100;
export const KINDS = ['realtime', 'standard'] as const satisfies readonly Audience['kind'][];

export const MESSAGES = {
  bodyNotObject: 'The request body must be a JSON object.',
  nameRequired: "Field 'name' is required.",
  nameNotText: "Field 'name' must be a string.",
  nameTooLong: `Field 'name' must be at most ${MAX_NAME_LENGTH} characters.`,
  nameTaken: "Field 'name' must be unique.",
  descriptionNotText: "Field 'description' must be a string.",
  kindInvalid: `Field 'kind' must be one of ${KINDS.map((k) => `"${k}"`).join(', ')}.`,
  kindReadOnly: "Field 'kind' cannot be changed: create an audience of the other kind instead.",
  definitionRequired: "Field 'definition' is required.",
  dateRangeInvalid: "Field 'date_range' must be null or an object whose 'start' and 'end' are null or dates (YYYY-MM-DD, UTC, inclusive).",
  dateRangeReversed: "Field 'date_range': 'start' must not be after 'end'.",
  dateRangeRealtime: "Field 'date_range' applies to standard audiences only; a real-time audience's criteria take 'within', 'after' and 'before'.",
} as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const isDay = (v: unknown): v is string => typeof v === 'string' && DAY.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

/** A body's `date_range`, checked: a problem, or the range (null: all the data). */
function parseDateRange(raw: unknown): { problem: string } | { range: DateRange | null } {
  if (raw === undefined || raw === null) return { range: null };
  if (!isBag(raw)) return { problem: MESSAGES.dateRangeInvalid };
  const { start = null, end = null } = raw;
  if ((start !== null && !isDay(start)) || (end !== null && !isDay(end)) || Object.keys(raw).some((k) => k !== 'start' && k !== 'end')) {
    return { problem: MESSAGES.dateRangeInvalid };
  }
  if (start !== null && end !== null && start > end) return { problem: MESSAGES.dateRangeReversed };
  return { range: { start, end } };
}

/** What a create or update body asks for, checked. */
interface AudienceInput {
  name: string;
  description: string | null;
  /** Undefined when the body leaves it out. */
  kind: Audience['kind'] | undefined;
  definition: AudienceNode;
  date_range: DateRange | null;
}

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Names are unique per workspace whatever their case (as the store keeps them). */
const nameKey = (name: string) => name.toLowerCase();

/**
 * The Audiences Platform API's rules, for every caller (the v2 and v1 routes, a CLI):
 *
 * - an audience has a `name` (unique per workspace whatever its case, at most 100 characters), an
 *   optional `description`, a `kind` (`realtime` unless given; fixed once created) and a
 *   `definition` (checked by `parseAudienceDefinition`: its `audience` nodes must name audiences of
 *   this workspace, and no chain of them may lead back to the audience); every problem is answered
 *   at once, and a refused request stores nothing;
 * - an update replaces the name, the description and the definition; an active audience whose
 *   definition changes starts a new revision, calculated again;
 * - activation starts a new revision, whose calculation the processor runs (`onActivated` nudges
 *   it): a real-time audience's from history, then live; a standard audience's once, over its
 *   `date_range` (standard audiences only: inclusive UTC days, either end open);
 * - an audience that others name cannot be deleted;
 * - unknown ids, and the ids of another workspace, are 404s.
 *
 * Writes of one workspace run one at a time, so the checks of names and references see what the
 * write they allow changes.
 *
 * @example
 *   const audiences = new AudienceService(store, { onActivated: () => processor.nudge() });
 *   const gold = await audiences.create(ws, { name: 'Gold', definition: { user_attribute: { name: 'tier', operator: 'equals', value: 'gold' } } }, { by: `client_id:${clientId}` });
 *   await audiences.activate(ws, gold.id, { by: `client_id:${clientId}` });
 */
export class AudienceService {
  /** Writes of one workspace run one at a time. */
  private readonly writes = new KeyedQueue<WorkspaceId>();
  private readonly now: () => number;

  constructor(
    private readonly store: AudienceStore,
    private readonly options: AudienceServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Every audience of the workspace, by id; with `name`, only the one of that name (whatever its case). */
  async list(ws: WorkspaceId, name?: string): Promise<AudienceView[]> {
    const all = await this.store.list(ws);
    return (name === undefined ? all : all.filter((a) => nameKey(a.name) === nameKey(name))).map(view);
  }

  async get(ws: WorkspaceId, id: number): Promise<AudienceView> {
    return view(await this.find(ws, id));
  }

  /** Creates an inactive audience from a request body. */
  async create(ws: WorkspaceId, body: unknown, actor: Actor): Promise<AudienceView> {
    return this.writes.run(ws, async () => {
      const all = await this.store.list(ws);
      const input = this.parse(body, all, null);
      const created = await this.store.create(ws, {
        name: input.name,
        description: input.description,
        kind: input.kind ?? 'realtime',
        definition: input.definition,
        date_range: input.date_range,
        created_on: this.iso(),
        created_by: actor.by,
        last_modified_on: null,
        last_modified_by: null,
        is_active: false,
        activated_on: null,
        revision: 0,
      });
      if (created === 'name-taken') throw new AudienceInvalid([problem(MESSAGES.nameTaken)]);
      return view(created);
    });
  }

  /**
   * Replaces the name, description and definition from a request body (a description left out is
   * cleared); the kind may be repeated, not changed. An active audience whose definition changed
   * starts a new revision.
   */
  async update(ws: WorkspaceId, id: number, body: unknown, actor: Actor): Promise<AudienceView> {
    return this.writes.run(ws, async () => {
      const current = await this.find(ws, id);
      const input = this.parse(body, await this.store.list(ws), current);
      const restarts =
        current.is_active &&
        (JSON.stringify(input.definition) !== JSON.stringify(current.definition) || JSON.stringify(input.date_range) !== JSON.stringify(current.date_range ?? null));
      const updated: Audience = {
        ...current,
        name: input.name,
        description: input.description,
        definition: input.definition,
        date_range: input.date_range,
        last_modified_on: this.iso(),
        last_modified_by: actor.by,
        revision: restarts ? current.revision + 1 : current.revision,
      };
      await this.write(updated);
      if (restarts) await this.startCalculation(updated);
      return view(updated);
    });
  }

  /** Deletes the audience with its calculations and memberships; refused (409) while another audience names it. */
  async delete(ws: WorkspaceId, id: number): Promise<void> {
    return this.writes.run(ws, async () => {
      await this.find(ws, id);
      const namers = (await this.store.list(ws)).filter((a) => a.id !== id && audiencesNamed(a.definition).includes(id)).map((a) => a.id);
      if (namers.length > 0) throw new AudienceInUse(ws, id, namers);
      if (!(await this.store.delete(ws, id))) throw new AudienceNotFound(ws, id);
    });
  }

  /**
   * Activates the audience: a new revision (an active one starts again), whose calculation is
   * recorded as started now and run by the processor. Activation is not a modification: the
   * `last_modified_*` fields stay.
   */
  async activate(ws: WorkspaceId, id: number): Promise<ActivationView> {
    return this.writes.run(ws, async () => {
      const current = await this.find(ws, id);
      const activated: Audience = { ...current, is_active: true, activated_on: this.iso(), revision: current.revision + 1 };
      await this.write(activated);
      return activationView(activated, await this.startCalculation(activated));
    });
  }

  async activation(ws: WorkspaceId, id: number): Promise<ActivationView> {
    const a = await this.find(ws, id);
    return activationView(a, await this.store.calculation(ws, id, a.revision));
  }

  /**
   * A page of members, after the MPID `after` (the previous page's `next_after`), at most `limit`
   * (the route bounds it); a malformed `after` is a 400.
   */
  async members(ws: WorkspaceId, id: number, page: { after?: string | undefined; limit: number }): Promise<MembersPage> {
    await this.find(ws, id);
    const after = page.after === undefined ? null : parseMpid(page.after);
    if (after === undefined) throw new AudienceMembersAfterInvalid(page.after!);
    const rows = await this.store.members(ws, id, after, page.limit);
    return {
      audience_id: id,
      members: rows.map((m) => ({ mpid: m.mpid, added_at: new Date(m.addedAtMs).toISOString() })),
      next_after: rows.length === page.limit && rows.length > 0 ? rows[rows.length - 1]!.mpid : null,
    };
  }

  /** The audience's size: its members now, or with `estimate`, estimated from a sample of the event store's users. */
  async size(ws: WorkspaceId, id: number, options: { estimate?: boolean } = {}): Promise<{ audience_id: number; size: number } | SizeEstimate> {
    await this.find(ws, id);
    if (!options.estimate) return { audience_id: id, size: await this.store.size(ws, id) };
    if (!this.options.estimate) throw new Error('this AudienceService was made without an estimator');
    // Undefined only when the audience was deleted since it was found.
    const estimated = await this.options.estimate(ws, id);
    if (!estimated) throw new AudienceNotFound(ws, id);
    return estimated;
  }

  /** The workspace's audiences as the Platform API v1 lists them, with their sizes. */
  async accountList(ws: WorkspaceId): Promise<AccountAudienceView[]> {
    const all = await this.store.list(ws);
    return Promise.all(all.map(async (a) => accountView(a, await this.store.size(ws, a.id))));
  }

  private async find(ws: WorkspaceId, id: number): Promise<Audience> {
    const found = await this.store.get(ws, id);
    if (!found) throw new AudienceNotFound(ws, id);
    return found;
  }

  private async write(audience: Audience): Promise<void> {
    const written = await this.store.update(audience);
    if (written === false) throw new AudienceNotFound(audience.workspaceId, audience.id);
    if (written === 'name-taken') throw new AudienceInvalid([problem(MESSAGES.nameTaken)]);
  }

  /** Records the calculation of the audience's (new) revision as started, and nudges the processor. */
  private async startCalculation(a: Audience): Promise<AudienceCalculation> {
    const calculation = startedCalculation(a, this.now());
    await this.store.putCalculation(calculation);
    this.options.onActivated?.();
    return calculation;
  }

  /**
   * A create or update body, checked against the workspace's audiences (`all`; `current` is the
   * one updated): every problem found, the fields' first, then the definition's.
   */
  private parse(body: unknown, all: readonly Audience[], current: Audience | null): AudienceInput {
    if (!isBag(body)) throw new AudienceInvalid([problem(MESSAGES.bodyNotObject)]);
    const problems: string[] = [];
    const { name, description, kind, definition, date_range } = body;
    if (name === undefined || name === null || (typeof name === 'string' && name.trim() === '')) problems.push(MESSAGES.nameRequired);
    else if (typeof name !== 'string') problems.push(MESSAGES.nameNotText);
    else if ([...name].length > MAX_NAME_LENGTH) problems.push(MESSAGES.nameTooLong);
    else if (all.some((a) => a.id !== current?.id && nameKey(a.name) === nameKey(name))) problems.push(MESSAGES.nameTaken);
    if (description !== undefined && description !== null && typeof description !== 'string') problems.push(MESSAGES.descriptionNotText);
    if (kind !== undefined && !(KINDS as readonly unknown[]).includes(kind)) problems.push(MESSAGES.kindInvalid);
    else if (kind !== undefined && current && kind !== current.kind) problems.push(MESSAGES.kindReadOnly);
    const range = parseDateRange(date_range);
    if ('problem' in range) problems.push(range.problem);
    else if (range.range !== null && (kind ?? current?.kind ?? 'realtime') !== 'standard') problems.push(MESSAGES.dateRangeRealtime);
    const named = new Map(all.map((a) => [a.id, audiencesNamed(a.definition)]));
    const context: DefinitionContext = { self: current?.id ?? null, namedBy: (id) => named.get(id) };
    const parsed = definition === undefined || definition === null ? undefined : parseAudienceDefinition(definition, context);
    if (!parsed) problems.push(MESSAGES.definitionRequired);
    else if (!parsed.ok) problems.push(...parsed.problems);
    if (problems.length > 0 || !parsed?.ok) throw new AudienceInvalid(problems.map(problem));
    return {
      name: name as string,
      description: (description as string | null | undefined) ?? null,
      kind: kind as Audience['kind'] | undefined,
      definition: parsed.definition,
      date_range: 'range' in range ? range.range : null,
    };
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
}


function view(a: Audience): AudienceView {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    kind: a.kind,
    definition: definitionView(a.definition),
    ...(a.kind === 'standard' ? { date_range: a.date_range ?? null } : {}),
    created_on: a.created_on,
    created_by: a.created_by,
    last_modified_on: a.last_modified_on,
    last_modified_by: a.last_modified_by,
    is_active: a.is_active,
    activated_on: a.activated_on,
  };
}

function activationView(a: Audience, c: AudienceCalculation | undefined): ActivationView {
  return {
    id: a.id,
    is_active: a.is_active,
    revision: a.revision,
    calculation: c
      ? {
          status: c.status,
          ...(c.percent === undefined ? {} : { progress_percent: Math.round(c.percent * 10) / 10 }),
          users_done: c.usersDone,
          users_total: c.usersTotal,
          started_at: new Date(c.startedAtMs).toISOString(),
          completed_at: c.completedAtMs === null ? null : new Date(c.completedAtMs).toISOString(),
        }
      : null,
  };
}

function accountView(a: Audience, size: number): AccountAudienceView {
  return {
    id: a.id,
    name: a.name,
    external_name: a.name,
    size,
    created_by: a.created_by,
    last_modified_by: a.last_modified_by,
    last_modified_on: a.last_modified_on,
    // "true if boolean logic is used to build the audience": criteria combined by and / or / not.
    is_calculated: 'and' in a.definition || 'or' in a.definition || 'not' in a.definition,
    status: a.is_active ? 'active' : 'draft',
    workspaces: [{ id: a.workspaceId, data_type: 'workspace' }],
    connected_outputs: [],
    data_type: 'audience',
  };
}
