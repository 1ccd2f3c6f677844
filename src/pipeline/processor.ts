import type { Logger } from 'pino';
import { consumerCaughtUp, type EventLog, type UserRef } from './event-log.ts';
import type { LogRecord } from '../model/envelope.ts';
import type { Outcome, Stage } from '../model/stage.ts';

export interface ProcessorDeps {
  log: EventLog;
  /** Where appends are heard of: the log by default; the app's messages on the processor thread. */
  appends?: Pick<EventLog, 'onAppend'>;
  stages: readonly Stage[];
  logger: Logger;
  /** The consumer name offsets are committed under. */
  consumer?: string;
  /** Records read per partition per round. */
  readLimit?: number;
  /** Called with each stage outcome, for metrics. */
  onOutcome?: (stage: string, kind: Outcome['kind'] | 'error') => void;
  /** Called with how long each stage's flush took (seconds), for metrics: a write behind shows here. */
  onFlushed?: (stage: string, seconds: number) => void;
  /** Tries of a stage that throws before the record is given up (and logged). */
  maxStageErrors?: number;
}

/** The consumer name a processor commits its offsets under unless told otherwise. */
export const PROCESSOR_CONSUMER = 'processor';

const userKey = (u: UserRef) => `${u.workspaceId}:${u.mpid}`;

/** A pause of every partition loop (see `Processor.exclusive`): the loops parked so far, and what lets them go. */
interface Gate {
  readonly opened: Promise<void>;
  readonly parked: Set<number>;
  /** Told each time a loop parks. */
  readonly onParked: () => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The longest a partition loop keeps the event loop before letting requests in. */
const YIELD_AFTER_MS = 5;

/** The most records a partition runs ahead of its flush in flight (then it waits for the flush). */
const MAX_UNFLUSHED = 4000;

/**
 * Consumes the event log: one loop per partition, each running every record through the stages
 * in order, then flushing the stages and committing the partition's offset. A crash between the
 * flush and the commit re-runs those records on restart, and each stage's `recover` removes
 * what they left, so effects happen once.
 */
export class Processor {
  private readonly consumer: string;
  private readonly readLimit: number;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly wakers = new Map<number, () => void>();
  private unsubscribe: (() => void) | undefined;
  /** Erased users (the log's tombstones): none of their records is run again. */
  private readonly erased = new Set<string>();
  /** Set while an exclusive section waits for the loops or runs. */
  private gate: Gate | undefined;
  /** Exclusive sections run one after another. */
  private exclusives: Promise<unknown> = Promise.resolve();
  /** Loops running (a loop ends once the processor stops). */
  private alive = 0;

  constructor(private readonly deps: ProcessorDeps) {
    this.consumer = deps.consumer ?? PROCESSOR_CONSUMER;
    this.readLimit = deps.readLimit ?? 2000;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { log, stages } = this.deps;
    for (const t of await log.tombstones()) this.erased.add(userKey(t));
    for (let p = 0; p < log.partitionCount; p++) {
      const committed = await log.committed(this.consumer, p);
      for (const s of stages) await s.recover?.(p, committed);
    }
    this.running = true;
    this.unsubscribe = (this.deps.appends ?? log).onAppend((partitions) => {
      for (const p of partitions) this.wakers.get(p)?.();
    });
    this.loops = Array.from({ length: log.partitionCount }, (_, p) => this.loop(p));
  }

  /** Finishes the records in hand, commits them and stops. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.unsubscribe?.();
    for (const wake of this.wakers.values()) wake();
    await Promise.all(this.loops);
    for (const s of this.deps.stages) await s.close?.();
  }

  /** Records not yet processed. */
  lag(): Promise<number> {
    return this.deps.log.lag(this.consumer);
  }

  /** Resolves once every record appended so far has been processed. */
  caughtUp(pollMs = 20): Promise<void> {
    return consumerCaughtUp(this.deps.log, this.consumer, pollMs);
  }

  /**
   * Skips, from now on, every record of these users that is still to run (those read into
   * memory already included): they were erased, and their tombstones are in the log. Call it
   * inside {@link exclusive}, with the erasers, so no record of theirs runs between the two.
   */
  skipErased(users: readonly UserRef[]): void {
    for (const u of users) this.erased.add(userKey(u));
  }

  /**
   * Runs `work` with every partition loop paused at a record boundary and no flush in flight,
   * after one more flush of every stage (what they buffer is then in their stores; the offsets
   * are committed by the loops' next flush, as usual): nothing the stages hold changes while it
   * runs (an erasure removes users from their stores and from what they keep in memory).
   * Sections run one at a time; the loops go on once `work` is done, whether it succeeded or
   * not. A processor that is not running just runs `work`.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusives.catch(() => undefined).then(() => this.runExclusive(work));
    this.exclusives = run;
    return run;
  }

  private async runExclusive<T>(work: () => Promise<T>): Promise<T> {
    let open!: () => void;
    let parkedOne!: () => void;
    let parkedNow = new Promise<void>((r) => (parkedOne = r));
    const gate: Gate = {
      opened: new Promise<void>((r) => (open = r)),
      parked: new Set(),
      onParked: () => parkedOne(),
    };
    this.gate = gate;
    try {
      // Idle loops come to their boundary now, not at their next wake-up.
      for (const wake of this.wakers.values()) wake();
      while (this.running && gate.parked.size < this.alive) {
        await parkedNow;
        parkedNow = new Promise<void>((r) => (parkedOne = r));
      }
      // What the stages buffer for their next flush goes to their stores, where erasers find it.
      if (this.running) await this.flushStages();
      return await work();
    } finally {
      this.gate = undefined;
      open();
    }
  }

  /** A loop's record boundary: while an exclusive section is asked for, its flush is awaited and it parks until the section is done. */
  private async boundary(partition: number, inFlight: Promise<void> | undefined): Promise<void> {
    const gate = this.gate;
    if (!gate) return;
    await inFlight?.catch(() => undefined);
    gate.parked.add(partition);
    gate.onParked();
    await gate.opened;
  }

  /**
   * Forgets everything the stages derived and rewinds every partition to the start of the log;
   * `start()` then rebuilds it all. The processor must be stopped.
   */
  async rewind(): Promise<void> {
    if (this.running) throw new Error('stop the processor before rewinding it');
    for (const s of this.deps.stages) await s.reset?.();
    for (let p = 0; p < this.deps.log.partitionCount; p++) await this.deps.log.commit(this.consumer, p, 0);
  }

  /**
   * One partition's loop. A flush (and the commit after it) runs while the loop goes on running
   * the next records: records are not held up by the flush of those before them (the event
   * store's append, which a DuckDB checkpoint can make last a second, a write behind). One flush
   * at a time per partition; the next starts once it is done and covers every record run
   * meanwhile, at most {@link MAX_UNFLUSHED} of them (then the loop waits). Stages see records
   * run while a flush is in progress already (other partitions'), and a commit never passes a
   * record run after its flush started.
   */
  private async loop(partition: number): Promise<void> {
    this.alive++;
    try {
      await this.loopUntilStopped(partition);
    } finally {
      this.alive--;
      this.gate?.onParked();
    }
  }

  private async loopUntilStopped(partition: number): Promise<void> {
    const { log } = this.deps;
    let offset = await log.committed(this.consumer, partition);
    let inFlight: Promise<void> | undefined;
    let flushing = false;
    /** Records run since the last flush started. */
    let unflushed = 0;
    const flushThenCommit = (upTo: number) => {
      unflushed = 0;
      flushing = true;
      inFlight = (async () => {
        try {
          await this.flushStages();
          await log.commit(this.consumer, partition, upTo);
        } finally {
          flushing = false;
        }
      })();
      // Handled where it is awaited (the loop's next turn); marked so that a failure waits for it.
      inFlight.catch(() => undefined);
    };
    while (this.running) {
      await this.boundary(partition, inFlight);
      const records = await log.read(partition, offset, this.readLimit);
      if (records.length === 0) {
        await inFlight;
        if (unflushed > 0) {
          flushThenCommit(offset);
          continue;
        }
        await this.idle(partition);
        continue;
      }
      for (const s of this.deps.stages) await this.prepare(s, records);
      let turn = performance.now();
      for (const record of records) {
        if (this.gate) await this.boundary(partition, inFlight);
        await this.process(record);
        // Stages mostly resolve in microtasks, which never let I/O in: give requests their turn.
        if (performance.now() - turn > YIELD_AFTER_MS) {
          await new Promise<void>((r) => setImmediate(r));
          turn = performance.now();
        }
      }
      offset = records[records.length - 1]!.offset;
      unflushed += records.length;
      if (flushing && unflushed < MAX_UNFLUSHED) continue;
      await inFlight;
      flushThenCommit(offset);
    }
    await inFlight;
    if (unflushed > 0) {
      flushThenCommit(offset);
      await inFlight;
    }
  }

  private idle(partition: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, 1000);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.set(partition, done);
    });
  }

  private async process(initial: LogRecord): Promise<void> {
    // An erased user's record: a straggler resolved before the erasure, or one read before it.
    if (this.erased.size > 0 && this.erased.has(userKey(initial))) return;
    let record = initial;
    for (const stage of this.deps.stages) {
      const outcome = await this.runStage(stage, record);
      this.deps.onOutcome?.(stage.name, outcome?.kind ?? 'error');
      if (outcome === undefined) return;
      switch (outcome.kind) {
        case 'ok':
          record = outcome.record;
          break;
        case 'drop':
        case 'block':
          return;
        case 'retry':
          throw new Error('unreachable: retries are handled in runStage');
        default:
          return assertNever(outcome);
      }
    }
  }

  /** Lets a stage prepare a chunk; a stage that fails to is logged, and runs the records unprepared. */
  private async prepare(stage: Stage, records: readonly LogRecord[]): Promise<void> {
    try {
      await stage.prepare?.(records);
    } catch (error) {
      this.deps.logger.warn({ err: error, stage: stage.name }, 'pipeline stage could not prepare a chunk; running it unprepared');
    }
  }

  /** Runs a stage until it stops asking for a retry; undefined when it keeps throwing. */
  private async runStage(stage: Stage, record: LogRecord): Promise<Outcome | undefined> {
    const maxErrors = this.deps.maxStageErrors ?? 3;
    for (let errors = 0; ; ) {
      try {
        const outcome = await stage.run(record);
        if (outcome.kind !== 'retry') return outcome;
        await sleep(outcome.afterMs);
      } catch (error) {
        errors++;
        this.deps.logger.error(
          { err: error, stage: stage.name, partition: record.partition, offset: record.offset, attempt: errors },
          'pipeline stage failed',
        );
        if (errors >= maxErrors) return undefined;
        await sleep(100 * 2 ** errors);
      }
    }
  }

  /** Flushes every stage, retrying with backoff: nothing is committed until it is durable. */
  private async flushStages(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await Promise.all(
          this.deps.stages.map(async (s) => {
            if (!s.flush) return;
            const started = performance.now();
            await s.flush();
            this.deps.onFlushed?.(s.name, (performance.now() - started) / 1000);
          }),
        );
        return;
      } catch (error) {
        this.deps.logger.error({ err: error, attempt }, 'pipeline flush failed; retrying');
        await sleep(Math.min(30_000, 200 * 2 ** attempt));
      }
    }
  }
}

function assertNever(value: never): never {
  throw new Error(`unhandled outcome ${JSON.stringify(value)}`);
}
