import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { join } from 'node:path';

/** One row of `log.sqlite`'s `log` table with its payload (the envelope) parsed. */
export interface LogRow {
  offset: number;
  partition: number;
  envelope: {
    mpid: string;
    dedupKey: string | null;
    batch: { source_request_id?: string; events: unknown[]; [key: string]: unknown };
    [key: string]: unknown;
  };
}

export interface LogContents {
  rows: LogRow[];
  /** `consumer_offsets` rows, by `consumer:partition`. */
  committed: Map<string, number>;
  partitions: number;
}

/**
 * Reads the event log straight from `log.sqlite` (read-only). Quanta must be stopped, or at
 * least not be mid-checkpoint; WAL mode lets a reader see committed transactions either way.
 */
export function readLog(dataDir: string): LogContents {
  const db = new Database(join(dataDir, 'log.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const raw = db.prepare('SELECT offset, partition, payload FROM log ORDER BY offset').all() as {
      offset: number;
      partition: number;
      payload: string;
    }[];
    const rows = raw.map((r) => ({ offset: r.offset, partition: r.partition, envelope: JSON.parse(r.payload) as LogRow['envelope'] }));
    const offsets = db.prepare('SELECT consumer, partition, offset FROM consumer_offsets').all() as {
      consumer: string;
      partition: number;
      offset: number;
    }[];
    const committed = new Map(offsets.map((o) => [`${o.consumer}:${o.partition}`, o.offset]));
    const partitions = Number(db.prepare("SELECT value FROM meta WHERE key = 'partitions'").pluck().get());
    return { rows, committed, partitions };
  } finally {
    db.close();
  }
}

export type Query = (sql: string, params?: DuckDBValue[]) => Promise<Record<string, unknown>[]>;

/**
 * Opens `events.duckdb` read-only with `@duckdb/node-api` and runs `fn` with a query function.
 * Quanta must be stopped: DuckDB allows one writing process per file.
 */
export async function withEventStore<T>(dataDir: string, fn: (query: Query) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(join(dataDir, 'events.duckdb'), { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return await fn(async (sql, params) => (await conn.runAndReadAll(sql, params)).getRowObjectsJS() as Record<string, unknown>[]);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** A stored profile document from `state.sqlite` (Quanta stopped or not: read-only). */
export function readProfile(dataDir: string, mpid: string, workspaceId = 1): Record<string, unknown> | undefined {
  const db = new Database(join(dataDir, 'state.sqlite'), { readonly: true });
  try {
    const doc = db.prepare('SELECT doc FROM profiles WHERE workspace_id = ? AND mpid = ?').pluck().get(workspaceId, mpid) as string | undefined;
    return doc === undefined ? undefined : (JSON.parse(doc) as Record<string, unknown>);
  } finally {
    db.close();
  }
}

/** The quarantine (what was blocked, and where the batch is in the log) and violation counts in `state.sqlite` (read-only). */
export function readQuality(dataDir: string): {
  blocked: { partition: number; logOffset: number; planId: string; metadata: Record<string, unknown> }[];
  violations: { subject: string; type: string; key: string; count: number }[];
} {
  const db = new Database(join(dataDir, 'state.sqlite'), { readonly: true });
  try {
    const blocked = (db.prepare('SELECT partition, log_offset, plan_id, metadata FROM quarantine ORDER BY id').all() as {
      partition: number;
      log_offset: number;
      plan_id: string;
      metadata: string;
    }[]).map((r) => ({ partition: r.partition, logOffset: r.log_offset, planId: r.plan_id, metadata: JSON.parse(r.metadata) as Record<string, unknown> }));
    const violations = db
      .prepare('SELECT subject, violation_type AS type, key, count FROM plan_violations ORDER BY subject, key')
      .all() as { subject: string; type: string; key: string; count: number }[];
    return { blocked, violations };
  } finally {
    db.close();
  }
}

/** The audiences store's membership changes and current members, read by SQL. */
export function readAudiences(dataDir: string): {
  changes: { audienceId: number; mpid: string; change: string }[];
  members: { audienceId: number; mpid: string }[];
} {
  const db = new Database(join(dataDir, 'state.sqlite'), { readonly: true });
  try {
    const changes = db.prepare('SELECT audience_id AS audienceId, mpid, change FROM au_changes ORDER BY seq').all() as { audienceId: number; mpid: string; change: string }[];
    const members = db.prepare('SELECT audience_id AS audienceId, mpid FROM au_members ORDER BY audience_id, mpid_num').all() as { audienceId: number; mpid: string }[];
    return { changes, members };
  } finally {
    db.close();
  }
}
