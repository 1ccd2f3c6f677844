import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Identities } from '../identity/identity-types.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import type { InputDirectory } from '../platform/credentials.ts';
import type { Input } from '../platform/platform-store.ts';
import { errorBody } from '../server/error-body.schema.ts';
import { BodyEmpty } from '../server/http-errors.ts';
import { MAX_BULK_DELETE_ITEMS, parseBulkDelete } from './bulk-delete-request.ts';
import { bulkDeleteBody, bulkDeleteJob } from './bulk-delete.openapi.ts';
import { BulkDeleteJobNotFound } from './erasure-errors.ts';
import type { ErasureJob } from './erasure-store.ts';
import type { UserErasure } from './user-erasure.ts';

export interface BulkDeleteRoutesDeps {
  erasure: Pick<UserErasure, 'submit' | 'job'>;
  inputs: InputDirectory;
  /** IDSync's search: the profile holding these identities, if any (creating nothing). */
  search: (ws: WorkspaceId, known: Identities) => Mpid | undefined;
}

const auth = {
  401: { description: 'The Authorization header is missing or unreadable.', ...errorBody },
  403: { description: 'The key and secret match no input.', ...errorBody },
};

/** The API's view of a job. */
function jobView(job: ErasureJob) {
  return {
    job_id: job.id,
    status: job.status,
    users_total: job.usersTotal,
    users_done: job.usersDone,
    not_found: job.notFound,
    created_at: new Date(job.createdAtMs).toISOString(),
    completed_at: job.completedAtMs === null ? null : new Date(job.completedAtMs).toISOString(),
  };
}

/**
 * mParticle's Bulk Profile Deletion API (beta): `POST /userprofile/experimental/bulkdelete` with
 * an input's key and secret (the input's workspace is the one whose profiles go) queues the
 * deletion of up to {@link MAX_BULK_DELETE_ITEMS} profiles and answers 202 with a job id;
 * `GET .../bulkdelete/{jobId}` reports its progress. Quanta erases each profile everywhere (the
 * erasure engine: identities, profile, events, audiences, outputs' queues, the log), which is
 * more than mParticle's logical deletion; data subjects' requests still go through the DSR API.
 */
export async function bulkDeleteRoutes(scope: FastifyInstance, deps: BulkDeleteRoutesDeps): Promise<void> {
  const authenticated = new WeakMap<FastifyRequest, Input>();
  scope.addHook('onRequest', async (request) => {
    authenticated.set(request, deps.inputs.authenticateBasic(request.headers.authorization));
  });

  scope.post(
    '/userprofile/experimental/bulkdelete',
    {
      schema: {
        summary: `Delete up to ${MAX_BULK_DELETE_ITEMS} profiles of the input's workspace, by MPID or identity`,
        tags: ['Bulk Profile Deletion API'],
        security: [{ basic: [] }],
        body: bulkDeleteBody,
        response: {
          202: { description: 'Queued: the job and how many profiles it deletes.', ...bulkDeleteJob },
          400: { description: 'Not an array, empty, too many items, or items naming no profile (each named by its index); nothing was queued.', ...errorBody },
          ...auth,
        },
      },
    },
    async (request, reply) => {
      if (request.body === undefined) throw new BodyEmpty('a JSON array of {"mpid": "<mpid>", "action": "delete"} items');
      const ws = authenticated.get(request)!.workspaceId;
      const mpids: Mpid[] = [];
      let notFound = 0;
      for (const item of parseBulkDelete(request.body)) {
        const mpid = 'mpid' in item ? item.mpid : deps.search(ws, { [item.identityType]: item.value });
        if (mpid === undefined) notFound++;
        else mpids.push(mpid);
      }
      const job = await deps.erasure.submit(ws, mpids, notFound);
      return reply.code(202).send(jobView(job));
    },
  );

  scope.get(
    '/userprofile/experimental/bulkdelete/:jobId',
    {
      schema: {
        summary: 'A bulk deletion job: queued, in progress or done, and how far',
        tags: ['Bulk Profile Deletion API'],
        security: [{ basic: [] }],
        params: { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string', maxLength: 64 } } },
        response: {
          200: { description: 'The job.', ...bulkDeleteJob },
          404: { description: "No such job in the input's workspace.", ...errorBody },
          ...auth,
        },
      },
    },
    async (request) => {
      const { jobId } = request.params as { jobId: string };
      const job = await deps.erasure.job(authenticated.get(request)!.workspaceId, jobId);
      if (!job) throw new BulkDeleteJobNotFound(jobId);
      return jobView(job);
    },
  );
}
