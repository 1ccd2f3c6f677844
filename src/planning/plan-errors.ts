/** Errors of the Data Planning API, its data quality routes and backfill. */
import { defineError, problemList } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';

export const PlanNotFound = defineError('QUANTA_PLAN_NOT_FOUND', {
  status: 404,
  message: (ws: WorkspaceId, planId: string) => `The specified plan ID ${planId} in workspace ${ws} was not found.`,
});

export const PlanVersionNotFound = defineError('QUANTA_PLAN_VERSION_NOT_FOUND', {
  status: 404,
  message: (ws: WorkspaceId, planId: string, version: number) => `The specified version ${version} in plan ID ${planId} was not found in workspace ${ws}.`,
});

export const PlanBodyNotObject = defineError('QUANTA_PLAN_BODY_NOT_OBJECT', {
  status: 400,
  message: (what: string) => `The request body must be a JSON object (${what}).`,
});

/** A plan or plan version the API cannot store: every problem named. */
export const PlanDocumentInvalid = defineError('QUANTA_PLAN_DOCUMENT_INVALID', { status: 400, message: problemList });

/** A version document that does not compile: every problem named, each with its data point. */
export const VersionDocumentInvalid = defineError('QUANTA_PLAN_VERSION_DOCUMENT_INVALID', { status: 400, message: problemList });

export const PlanExists = defineError('QUANTA_PLAN_EXISTS', {
  status: 409,
  message: (ws: WorkspaceId, planId: string) => `A data plan with ID ${planId} already exists in workspace ${ws}; choose another data_plan_id.`,
});

export const PlanVersionExists = defineError('QUANTA_PLAN_VERSION_EXISTS', {
  status: 409,
  message: (planId: string, version: number) => `Version ${version} of plan ${planId} already exists; change it with PATCH or choose another version.`,
});

export const PlanDocumentTooLarge = defineError('QUANTA_PLAN_DOCUMENT_TOO_LARGE', {
  status: 413,
  message: () => 'The data plan document is larger than 10 MB; split it into smaller plans.',
});

export const PlanVersionLast = defineError('QUANTA_PLAN_VERSION_LAST', {
  status: 400,
  message: () => 'Unable to delete plan version - plans must contain at least one plan version.',
});

export const PlanVersionInProduction = defineError('QUANTA_PLAN_VERSION_IN_PRODUCTION', {
  status: 400,
  message: () => 'Unable to delete plan version - this version is active in prod and cannot be deleted.',
});

/** The batch sent to `/plans/validate` is not a valid batch: every problem named. */
export const ValidationBatchInvalid = defineError('QUANTA_PLAN_VALIDATION_BATCH_INVALID', { status: 400, message: problemList });

export const BackfillTimeInvalid = defineError('QUANTA_BACKFILL_TIME_INVALID', {
  status: 400,
  message: (field: string, value: string) => `${field} "${value}" is not a date; use ISO 8601, e.g. 2026-01-31T00:00:00Z.`,
});

/** A backfill body that does not match its schema: every problem named. */
export const BackfillRequestInvalid = defineError('QUANTA_BACKFILL_REQUEST_INVALID', { status: 400, message: problemList });

export const BackfillInputGone = defineError('QUANTA_BACKFILL_INPUT_GONE', {
  status: 404,
  message: (inputId: number) => `Input ${inputId}, which the blocked data came in on, no longer exists; the data cannot be backfilled through it.`,
});

/** Ingest's refusal of batches whose `context.data_plan` names a plan or version that does not exist (the planning capability's check). */
export const BatchPlanUnknown = defineError('QUANTA_INGEST_PLAN_UNKNOWN', { status: 400, message: problemList });
