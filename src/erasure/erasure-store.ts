import type { Mpid, WorkspaceId } from '../kernel/ids.ts';

/** Where an erasure job is: waiting its turn, being run (chunk by chunk), or done. */
export type ErasureStatus = 'queued' | 'in_progress' | 'done';

/**
 * One erasure of some users of a workspace (a bulk profile deletion, or a data subject request's
 * erasure), with its durable progress: a job begun and not done when Quanta stopped is run again
 * from `usersDone` at start, and each step of it is idempotent.
 */
export interface ErasureJob {
  readonly id: string;
  readonly workspaceId: WorkspaceId;
  /** The users to erase, in order; emptied once the job is done (the job then names nobody). */
  readonly mpids: readonly Mpid[];
  /** How many users the job erases (what `mpids` held). */
  readonly usersTotal: number;
  /** Items of the request that named no user of the workspace (an unknown identity): nothing to erase. */
  readonly notFound: number;
  readonly status: ErasureStatus;
  /** Users erased so far: the first `usersDone` of `mpids`. */
  readonly usersDone: number;
  /** Rows (records, events, states...) removed so far, over every store. */
  readonly rows: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly completedAtMs: number | null;
}

/** A job's progress after a chunk of its users was erased. */
export interface ErasureProgress {
  readonly usersDone: number;
  readonly rows: number;
  readonly status: ErasureStatus;
  readonly atMs: number;
}

/**
 * Erasure jobs and their progress (part of the storage role "state").
 *
 * Contract (`storage/contracts/erasure-store.contract.ts`): `create` stores a job; `progress`
 * records how far it is, durably, and a job `done` forgets its MPIDs; `unfinished` lists the
 * jobs not done, oldest first; `get` reads a job of one workspace only.
 *
 * @example
 *   await store.create(job);
 *   await store.progress(job.id, { usersDone: 500, rows: 12_000, status: 'in_progress', atMs: Date.now() });
 */
export interface ErasureStore {
  create(job: ErasureJob): Promise<void>;
  get(workspaceId: WorkspaceId, id: string): Promise<ErasureJob | undefined>;
  progress(id: string, progress: ErasureProgress): Promise<void>;
  /** Jobs queued or in progress, in the order they were created. */
  unfinished(): Promise<ErasureJob[]>;
  close(): Promise<void>;
}
