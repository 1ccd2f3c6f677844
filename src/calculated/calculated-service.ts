import type { Actor } from '../model/actor.ts';
import { problem } from '../kernel/errors.ts';
import { KeyedQueue } from '../kernel/keyed-queue.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { CalculatedAttribute, CalculatedStore, Calculation } from './calculated-store.ts';
import { CalculatedAttributeInvalid, CalculatedAttributeLimit, CalculatedAttributeNoDraft, CalculatedAttributeNotFound } from './calculated-errors.ts';
import { parseIsoDate } from './dates.ts';
import type { Definition } from './definition.ts';
import { parseDefinition } from './parse-definition.ts';

/** Who made a change: the API client, as the audit fields record it (`client_id:<id>`). */

export interface CalculatedServiceOptions {
  /** The calculated attribute retention period, in days (`time_period` is checked against it). */
  retentionDays: number;
  /** Active calculated attributes a workspace may have. */
  maxActive: number;
  /** Told after each activation (the processor starts computing it at once, rather than at its next look). */
  onActivated?: () => void;
}

/** A calculated attribute as the Platform API v2 answers it. */
export interface CalculatedAttributeView {
  id: number;
  name: string;
  description: string | null;
  created_by: string;
  created_on: string;
  last_modified_on: string | null;
  last_modified_by: string | null;
  active_definition: Definition | null;
  draft_definition: Definition | null;
  audience_count: number;
  activated_on: string | null;
  activated_by: string | null;
}

/** `GET .../calculatedattributes/{id}/activation`. */
export interface ActivationStatus {
  calculated_attribute_id: number;
  is_active: boolean;
  activated_on: string | null;
  activated_by: string | null;
}

/** `GET .../calculatedattributes/{id}/calculation`: how far the active revision's computation from history has come. */
export interface CalculationStatus {
  id: number;
  name: string;
  /** The active revision (it grows at each activation); null before the first activation. */
  revision_id: number | null;
  is_calculated: boolean;
  /** 0 to 100, whole: 100 only once calculated. */
  calculation_percent_complete: number;
  /** ISO 8601: when the computation is expected to end (when it ended, once calculated); null without progress to judge by. */
  estimated_completion_time: string | null;
}

/** What a create or update body asks for, checked. */
interface AttributeInput {
  name: string;
  /** Undefined when the body leaves it out. */
  description: string | null | undefined;
  definition: Definition;
}

export const MESSAGES = {
  bodyNotObject: 'The request body must be a JSON object.', // (Quanta)
  nameRequired: "Field 'name' is required.",
  nameNotText: "Field 'name' must be a string.", // (Quanta)
  nameTaken: "Field 'name' must be unique.",
  nameReadOnly: 'Calculated attribute name cannot be changed once the calculated attribute has been activated.',
  descriptionNotText: "Field 'description' must be a string.", // (Quanta)
} as const;

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => v !== null && typeof v === 'object' && !Array.isArray(v);
/** Names are unique per workspace whatever their case (as the store keeps them). */
const nameKey = (name: string) => name.toLowerCase();

/**
 * The definition seeds are checked against and combined with: the draft being worked on, else
 * the active one (activation moves the one into the other, changing neither).
 */
const seedTarget = (a: Pick<CalculatedAttribute, 'draft_definition' | 'active_definition'>) => a.draft_definition ?? a.active_definition;
/** What seeds depend on in a definition (the using guide): its calculation type and seeding cutoff date, as an instant. */
function seedKey(definition: Definition | null): string {
  if (!definition) return '';
  const cutoff = definition.seeding ? (parseIsoDate(definition.seeding.cutoff_date)?.ms ?? definition.seeding.cutoff_date) : null;
  return JSON.stringify([definition.calculation_type, cutoff]);
}

/**
 * The Calculated Attributes Platform API v2's rules, for every caller (the routes, a CLI, a
 * console):
 *
 * - an attribute is created as a draft: `name` (unique per workspace, whatever its case) and
 *   `draft_definition` (checked by `parseDefinition`) are required, `description` is optional;
 *   every problem is answered at once, and a refused request stores nothing;
 * - an update replaces the draft and the description, and the name until the first activation;
 * - activation moves the draft into the active definition and starts a new revision, within the
 *   workspace's limit of active attributes;
 * - seeds are forgotten when the name, or the calculation type or seeding cutoff date of the
 *   definition they follow (the draft, else the active one), changes, and with the attribute;
 * - unknown ids, and the ids of another workspace, are 404s.
 *
 * Writes of one workspace run one at a time, so a check and the write it allows (the name's
 * rename rule, the activation limit) see the same attribute.
 */
export class CalculatedService {
  /** Writes of one workspace run one at a time. */
  private readonly writes = new KeyedQueue<WorkspaceId>();

  constructor(
    private readonly store: CalculatedStore,
    private readonly options: CalculatedServiceOptions,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every attribute of the workspace, by id; with `name`, only the one of that name (whatever its case). */
  async list(ws: WorkspaceId, name?: string): Promise<CalculatedAttributeView[]> {
    const all = await this.store.list(ws);
    const matching = name === undefined ? all : all.filter((a) => nameKey(a.name) === nameKey(name));
    return matching.map(view);
  }

  /** Whether the workspace has any attribute (with `name`, one of that name). */
  async exists(ws: WorkspaceId, name?: string): Promise<boolean> {
    return (await this.list(ws, name)).length > 0;
  }

  async get(ws: WorkspaceId, id: number): Promise<CalculatedAttributeView> {
    return view(await this.find(ws, id));
  }

  /** Creates a draft attribute from a request body; answers its id. */
  async create(ws: WorkspaceId, body: unknown, actor: Actor): Promise<number> {
    return this.writes.run(ws, async () => {
      const others = await this.store.list(ws);
      const input = this.parse(body, (problems, name) => {
        if (others.some((a) => nameKey(a.name) === nameKey(name))) problems.push(MESSAGES.nameTaken);
      });
      const created = await this.store.create(ws, {
        name: input.name,
        description: input.description ?? null,
        created_on: this.now().toISOString(),
        created_by: actor.by,
        last_modified_on: null,
        last_modified_by: null,
        draft_definition: input.definition,
        active_definition: null,
        activated_on: null,
        activated_by: null,
        revision: 0,
      });
      if (created === 'name-taken') throw new CalculatedAttributeInvalid([problem(MESSAGES.nameTaken)]);
      return created.id;
    });
  }

  /**
   * Replaces the draft definition and the name from a request body, and the description when the
   * body has one (`null` clears it). The name may change only before the first activation.
   */
  async update(ws: WorkspaceId, id: number, body: unknown, actor: Actor): Promise<void> {
    return this.writes.run(ws, async () => {
      const current = await this.find(ws, id);
      const others = (await this.store.list(ws)).filter((a) => a.id !== id);
      const input = this.parse(body, (problems, name) => {
        if (name === current.name) return;
        if (current.revision > 0) problems.push(MESSAGES.nameReadOnly);
        else if (others.some((a) => nameKey(a.name) === nameKey(name))) problems.push(MESSAGES.nameTaken);
      });
      const updated: CalculatedAttribute = {
        ...current,
        name: input.name,
        description: input.description === undefined ? current.description : input.description,
        draft_definition: input.definition,
        ...modified(this.now(), actor),
      };
      await this.write(current, updated);
    });
  }

  /** Deletes the attribute, with its computations, states and seeds (the store's `delete`, in one transaction). */
  async delete(ws: WorkspaceId, id: number): Promise<void> {
    return this.writes.run(ws, async () => {
      if (!(await this.store.delete(ws, id))) throw new CalculatedAttributeNotFound(ws, id);
    });
  }

  /** Discards the draft definition (nothing changes when there is none). */
  async deleteDraft(ws: WorkspaceId, id: number, actor: Actor): Promise<void> {
    return this.writes.run(ws, async () => {
      const current = await this.find(ws, id);
      if (current.draft_definition === null) return;
      await this.write(current, { ...current, draft_definition: null, ...modified(this.now(), actor) });
    });
  }

  /**
   * Moves the draft into the active definition: a new revision, which the processor computes
   * from history. The draft is checked again (a `since` date may have left the retention period).
   */
  async activate(ws: WorkspaceId, id: number, actor: Actor): Promise<void> {
    return this.writes.run(ws, async () => {
      const current = await this.find(ws, id);
      if (current.draft_definition === null) throw new CalculatedAttributeNoDraft();
      const parsed = parseDefinition(current.draft_definition, { retentionDays: this.options.retentionDays, nowMs: this.now().getTime() });
      if (!parsed.ok) throw new CalculatedAttributeNoDraft(parsed.problems);
      if (current.active_definition === null) {
        const active = (await this.store.list(ws)).filter((a) => a.active_definition !== null).length;
        if (active >= this.options.maxActive) throw new CalculatedAttributeLimit();
      }
      // Activation is not a modification of the attribute: mParticle's example shows
      // `last_modified_on` before `activated_on`.
      await this.write(current, {
        ...current,
        active_definition: parsed.definition,
        draft_definition: null,
        revision: current.revision + 1,
        activated_on: this.now().toISOString(),
        activated_by: actor.by,
      });
      this.options.onActivated?.();
    });
  }

  async activation(ws: WorkspaceId, id: number): Promise<ActivationStatus> {
    const a = await this.find(ws, id);
    return { calculated_attribute_id: a.id, is_active: a.active_definition !== null, activated_on: a.activated_on, activated_by: a.activated_by };
  }

  /**
   * The computation of the active revision: not calculated and 0% until the processor has
   * started it (and for an attribute never activated); the estimate extrapolates the users done
   * so far at the rate since it started.
   */
  async calculation(ws: WorkspaceId, id: number): Promise<CalculationStatus> {
    const a = await this.find(ws, id);
    const status = { id: a.id, name: a.name, revision_id: a.active_definition === null ? null : a.revision };
    const progress = a.active_definition === null ? undefined : await this.store.calculation(ws, id, a.revision);
    return { ...status, ...progressOf(progress, this.now().getTime()) };
  }

  private async find(ws: WorkspaceId, id: number): Promise<CalculatedAttribute> {
    const found = await this.store.get(ws, id);
    if (!found) throw new CalculatedAttributeNotFound(ws, id);
    return found;
  }

  /** Writes a changed attribute, then forgets its seeds if what they depend on changed. */
  private async write(before: CalculatedAttribute, after: CalculatedAttribute): Promise<void> {
    const written = await this.store.update(after);
    if (written === false) throw new CalculatedAttributeNotFound(after.workspaceId, after.id);
    if (written === 'name-taken') throw new CalculatedAttributeInvalid([problem(MESSAGES.nameTaken)]);
    if (before.name !== after.name || seedKey(seedTarget(before)) !== seedKey(seedTarget(after))) {
      await this.store.deleteSeeds(after.workspaceId, after.id);
    }
  }

  /**
   * A create or update body, checked: every problem found, the name's first (with those
   * `checkName` adds for a well-formed name), then the description's and the definition's.
   */
  private parse(body: unknown, checkName: (problems: string[], name: string) => void): AttributeInput {
    if (!isBag(body)) throw new CalculatedAttributeInvalid([problem(MESSAGES.bodyNotObject)]);
    const problems: string[] = [];
    const { name, description } = body;
    if (name === undefined || name === null || (typeof name === 'string' && name.trim() === '')) problems.push(MESSAGES.nameRequired);
    else if (typeof name !== 'string') problems.push(MESSAGES.nameNotText);
    else checkName(problems, name);
    if (description !== undefined && description !== null && typeof description !== 'string') problems.push(MESSAGES.descriptionNotText);
    const parsed = parseDefinition(body.draft_definition, { retentionDays: this.options.retentionDays, nowMs: this.now().getTime() });
    if (!parsed.ok) problems.push(...parsed.problems);
    if (problems.length > 0 || !parsed.ok) throw new CalculatedAttributeInvalid(problems.map(problem));
    return { name: name as string, description: description as string | null | undefined, definition: parsed.definition };
  }
}

const modified = (now: Date, actor: Actor) => ({ last_modified_on: now.toISOString(), last_modified_by: actor.by });

function view(a: CalculatedAttribute): CalculatedAttributeView {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    created_by: a.created_by,
    created_on: a.created_on,
    last_modified_on: a.last_modified_on,
    last_modified_by: a.last_modified_by,
    active_definition: a.active_definition,
    draft_definition: a.draft_definition,
    // Audiences do not exist in Quanta yet: no audience uses a calculated attribute.
    audience_count: 0,
    activated_on: a.activated_on,
    activated_by: a.activated_by,
  };
}

/** The progress fields of a calculation status, from the processor's record of it (if any) at `nowMs`. */
export function progressOf(
  c: Calculation | undefined,
  nowMs: number,
): Pick<CalculationStatus, 'is_calculated' | 'calculation_percent_complete' | 'estimated_completion_time'> {
  if (c?.status === 'calculated') {
    return { is_calculated: true, calculation_percent_complete: 100, estimated_completion_time: new Date(c.completedAtMs ?? nowMs).toISOString() };
  }
  const notStarted = { is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null };
  if (!c || c.usersTotal === null || c.usersTotal <= 0) return notStarted;
  const done = Math.min(c.usersDone, c.usersTotal);
  // Whole percents, and never 100 until the processor says it is calculated.
  const percent = Math.min(99, Math.floor((done / c.usersTotal) * 100));
  if (done <= 0) return { ...notStarted, calculation_percent_complete: percent };
  const elapsed = Math.max(0, nowMs - c.startedAtMs);
  const remainingMs = ((c.usersTotal - done) * elapsed) / done;
  return { is_calculated: false, calculation_percent_complete: percent, estimated_completion_time: new Date(nowMs + remainingMs).toISOString() };
}
