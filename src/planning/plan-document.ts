import { type ErrorDetail, problem as problemOf } from '../kernel/errors.ts';
import { compilePlanVersion } from './plan-compiler.ts';
import { PlanBodyNotObject, PlanDocumentInvalid, VersionDocumentInvalid } from './plan-errors.ts';
import { ACTIVATED_ENVIRONMENTS, type ActivatedEnvironment, type VersionDocument } from './plan-store.ts';

/**
 * The checks on plan documents received by the Data Planning API: each parser returns the fields
 * the client may set, or throws a {@link PlanDocumentInvalid} listing every problem found.
 * Server-owned fields (`created_*`, `last_modified_*`) are ignored when sent.
 */

/** A plan id: what mParticle's UI derives from a name, letters, digits, `_` and `-`. */
const PLAN_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** `Mobile Data Plan` → `mobile_data_plan`, as mParticle derives an id from a plan's name. */
export function planIdFromName(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 100);
}

export interface NewPlan {
  data_plan_id: string;
  data_plan_name: string;
  data_plan_description?: string;
  data_plan_versions: NewVersion[];
}

export interface NewVersion {
  version: number;
  version_description?: string;
  activated_environment: ActivatedEnvironment;
  version_document: VersionDocument;
}

export interface PlanChanges {
  data_plan_name?: string;
  data_plan_description?: string;
}

export interface VersionChanges {
  version_description?: string;
  activated_environment?: ActivatedEnvironment;
  version_document?: VersionDocument;
}

type Problems = ErrorDetail[];
const problem = (problems: Problems, message: string) => problems.push(problemOf(message));
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function body(value: unknown, what: string): Record<string, unknown> {
  if (!isObject(value)) throw new PlanBodyNotObject(what);
  return value;
}

function optionalString(problems: Problems, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') problem(problems, `${path} must be a string.`);
  return typeof value === 'string' ? value : undefined;
}

function name(problems: Problems, value: unknown, path: string): string {
  if (typeof value !== 'string' || value.trim() === '') problem(problems, `${path} is required: a non-empty string.`);
  return typeof value === 'string' ? value : '';
}

function versionNumber(problems: Problems, value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    problem(problems, `${path} must be a positive integer (got ${JSON.stringify(value) ?? 'nothing'}).`);
    return 0;
  }
  return value;
}

function environment(problems: Problems, value: unknown, path: string): ActivatedEnvironment | undefined {
  if (value === undefined) return undefined;
  if (!(ACTIVATED_ENVIRONMENTS as readonly unknown[]).includes(value)) {
    problem(problems, `${path} must be one of ${ACTIVATED_ENVIRONMENTS.join(', ')} (got ${JSON.stringify(value)}).`);
    return undefined;
  }
  return value as ActivatedEnvironment;
}

function versionDocument(problems: Problems, value: unknown, path: string): VersionDocument {
  if (!isObject(value)) {
    problem(problems, `${path} must be an object with a data_points array.`);
    return { data_points: [] };
  }
  if (!Array.isArray(value.data_points)) {
    problem(problems, `${path}.data_points must be an array of data points.`);
    return { data_points: [] };
  }
  // The compiler is the one judge of data points: a plan the API stores is one ingest can enforce.
  try {
    compilePlanVersion(value);
  } catch (error) {
    if (!(error instanceof VersionDocumentInvalid)) throw error;
    for (const message of error.problems) problem(problems, `${path}.${message}`);
  }
  return value as VersionDocument;
}

function newVersion(problems: Problems, value: Record<string, unknown>, path: string): NewVersion {
  const description = optionalString(problems, value.version_description, `${path}version_description`);
  return {
    version: versionNumber(problems, value.version, `${path}version`),
    ...(description !== undefined ? { version_description: description } : {}),
    activated_environment: environment(problems, value.activated_environment, `${path}activated_environment`) ?? 'none',
    version_document:
      value.version_document === undefined ? { data_points: [] } : versionDocument(problems, value.version_document, `${path}version_document`),
  };
}

const done = <T>(problems: Problems, value: T): T => {
  if (problems.length > 0) throw new PlanDocumentInvalid(problems);
  return value;
};

/** The body of `POST /plans`: a plan, its id derived from its name when absent, and its versions. */
export function parseNewPlan(value: unknown): NewPlan {
  const b = body(value, 'a data plan');
  const problems: Problems = [];
  const planName = name(problems, b.data_plan_name, 'data_plan_name');
  let id = b.data_plan_id;
  if (id === undefined || id === null || id === '') id = planIdFromName(planName);
  if (typeof id !== 'string' || !PLAN_ID.test(id)) {
    problem(problems, `data_plan_id must be 1 to 100 letters, digits, _ or - starting with a letter or digit (got ${JSON.stringify(id)}).`);
  }
  const description = optionalString(problems, b.data_plan_description, 'data_plan_description');
  const versions: NewVersion[] = [];
  if (b.data_plan_versions !== undefined && !Array.isArray(b.data_plan_versions)) {
    problem(problems, 'data_plan_versions must be an array of plan versions.');
  } else {
    const seen = new Set<number>();
    ((b.data_plan_versions as unknown[] | undefined) ?? []).forEach((v, i) => {
      if (!isObject(v)) return void problem(problems, `data_plan_versions[${i}] must be an object.`);
      const parsed = newVersion(problems, v, `data_plan_versions[${i}].`);
      if (parsed.version > 0 && seen.has(parsed.version)) problem(problems, `data_plan_versions[${i}].version ${parsed.version} is listed twice.`);
      seen.add(parsed.version);
      versions.push(parsed);
    });
  }
  return done(problems, {
    data_plan_id: id as string,
    data_plan_name: planName,
    ...(description !== undefined ? { data_plan_description: description } : {}),
    data_plan_versions: versions,
  });
}

/** The body of `PATCH /plans/{id}`: a new name and/or description. */
export function parsePlanChanges(value: unknown, planId: string): PlanChanges {
  const b = body(value, 'the plan fields to change');
  const problems: Problems = [];
  const changes: PlanChanges = {};
  if (b.data_plan_name !== undefined) changes.data_plan_name = name(problems, b.data_plan_name, 'data_plan_name');
  const description = optionalString(problems, b.data_plan_description, 'data_plan_description');
  if (description !== undefined) changes.data_plan_description = description;
  if (b.data_plan_id !== undefined && b.data_plan_id !== planId) problem(problems, `data_plan_id cannot change (the plan is ${planId}).`);
  if (b.data_plan_versions !== undefined) {
    problem(problems, 'data_plan_versions cannot be changed here; use /plans/{plan_id}/versions and /plans/{plan_id}/versions/{version}.');
  }
  return done(problems, changes);
}

/** The body of `POST /plans/{id}/versions`. */
export function parseNewVersion(value: unknown): NewVersion {
  const problems: Problems = [];
  return done(problems, newVersion(problems, body(value, 'a data plan version'), ''));
}

/** The body of `PATCH /plans/{id}/versions/{version}`: any of description, environment, document. */
export function parseVersionChanges(value: unknown, version: number): VersionChanges {
  const b = body(value, 'the version fields to change');
  const problems: Problems = [];
  const changes: VersionChanges = {};
  if (b.version !== undefined && b.version !== version) problem(problems, `version cannot change (this is version ${version}).`);
  const description = optionalString(problems, b.version_description, 'version_description');
  if (description !== undefined) changes.version_description = description;
  const env = environment(problems, b.activated_environment, 'activated_environment');
  if (env !== undefined) changes.activated_environment = env;
  if (b.version_document !== undefined) changes.version_document = versionDocument(problems, b.version_document, 'version_document');
  return done(problems, changes);
}
