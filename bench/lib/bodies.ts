import { randomBytes } from 'node:crypto';

/**
 * Realistic `/v2/bulkevents` bodies, shaped like the Node SDK's (see
 * test/fixtures/real-clients/node-sdk.json), generated once before measuring.
 *
 * Every batch's `source_request_id` is a fixed-width slot in the body's bytes; `next()` copies a
 * pre-built body and writes a fresh id into each slot, so Quanta never sees a duplicate while
 * generation costs nothing during the measurement.
 */

export interface BodyOptions {
  batchesPerRequest: number;
  eventsPerBatch: number;
  /** Distinct pre-built bodies, sent round-robin. */
  poolSize?: number;
  /** Distinct users batches are drawn from. */
  users?: number;
  seed?: number;
  /** What goes in each batch beyond the user; the default is the Node SDK mix of {@link defaultShape}. */
  shape?: BatchShape;
}

/** A generated event, and the plan rule it breaks on purpose, if any. */
export interface GeneratedEvent {
  event: Record<string, unknown>;
  violation?: string;
}

/**
 * The parts of a batch a benchmark may change: its events, user attributes added on purpose and
 * a `context`. Each draws only from `rand`, so two pools with the same seed and shapes that differ
 * only in `context` hold the same events for the same users.
 */
export interface BatchShape {
  event(rand: Rand, ts: number): GeneratedEvent;
  /** User attributes added to this batch (e.g. unplanned ones), with the rule they break. */
  extraUserAttributes?(rand: Rand): { attributes: Record<string, unknown>; violation: string } | undefined;
  context?: Record<string, unknown>;
}

/** Quanta's documented limits (src/config/config.ts). */
export const MAX_REQUEST_BYTES = 256 * 1024;
export const MAX_BATCH_BYTES = 128 * 1024;
export const MAX_BATCHES_PER_BULK = 100;

const ID_DIGITS = 12;

interface Template {
  bytes: Buffer;
  /** Byte offsets of the `source_request_id` digit slots. */
  slots: number[];
  /** Per batch, how many of its parts (events, user attributes) break a rule on purpose. */
  violating: number[];
}

/** One pre-built body as batches, with how many parts of each break a rule on purpose. */
export interface SampleBody {
  batches: unknown[];
  violating: number[];
}

export interface BodyStats {
  poolSize: number;
  distinctUsers: number;
  eventsPerRequest: number;
  avgRequestBytes: number;
  maxRequestBytes: number;
  maxBatchBytes: number;
  /** Batches and events in the pool. */
  batches: number;
  events: number;
  /** Parts that break a rule on purpose, by rule (empty for the default shape). */
  violations: Record<string, number>;
}

export class BodyPool {
  readonly eventsPerRequest: number;
  readonly stats: BodyStats;
  private readonly templates: Template[];
  private next_ = 0;
  private seq = 0;

  constructor(options: BodyOptions) {
    const { batchesPerRequest, eventsPerBatch } = options;
    if (batchesPerRequest < 1 || batchesPerRequest > MAX_BATCHES_PER_BULK) {
      throw new Error(`--batches must be 1..${MAX_BATCHES_PER_BULK} (Quanta's per-request limit).`);
    }
    const poolSize = options.poolSize ?? 256;
    const users = options.users ?? 50_000;
    const rand = mulberry32(options.seed ?? 42);
    const runId = randomBytes(4).toString('hex');
    const prefix = `bench-${runId}-`;
    const placeholder = prefix + '#'.repeat(ID_DIGITS);
    const now = Date.now();
    const shape = options.shape ?? defaultShape;
    const violations: Record<string, number> = {};
    const seenUsers = new Set<number>();
    let maxBatchBytes = 0;
    this.templates = [];
    for (let b = 0; b < poolSize; b++) {
      const batches: string[] = [];
      const violating: number[] = [];
      for (let i = 0; i < batchesPerRequest; i++) {
        const user = Math.floor(rand() * users);
        seenUsers.add(user);
        const made = makeBatch(rand, shape, user, eventsPerBatch, placeholder, now);
        for (const v of made.violations) violations[v] = (violations[v] ?? 0) + 1;
        violating.push(made.violations.length);
        const json = JSON.stringify(made.batch);
        maxBatchBytes = Math.max(maxBatchBytes, Buffer.byteLength(json));
        batches.push(json);
      }
      const bytes = Buffer.from(`[${batches.join(',')}]`, 'utf8');
      const slots: number[] = [];
      const marker = Buffer.from(placeholder);
      for (let at = bytes.indexOf(marker); at !== -1; at = bytes.indexOf(marker, at + marker.length)) {
        slots.push(at + prefix.length);
      }
      if (slots.length !== batchesPerRequest) throw new Error('bench bug: source_request_id slots do not match the batches');
      this.templates.push({ bytes, slots, violating });
    }
    const sizes = this.templates.map((t) => t.bytes.length);
    const maxRequestBytes = Math.max(...sizes);
    if (maxBatchBytes >= MAX_BATCH_BYTES) {
      throw new Error(`A batch is ${maxBatchBytes} bytes, over Quanta's ${MAX_BATCH_BYTES}; lower --events.`);
    }
    if (maxRequestBytes >= MAX_REQUEST_BYTES) {
      throw new Error(`A request is ${maxRequestBytes} bytes, over Quanta's ${MAX_REQUEST_BYTES}; lower --batches or --events.`);
    }
    this.eventsPerRequest = batchesPerRequest * eventsPerBatch;
    this.stats = {
      poolSize,
      distinctUsers: seenUsers.size,
      eventsPerRequest: this.eventsPerRequest,
      avgRequestBytes: Math.round(sizes.reduce((a, n) => a + n, 0) / sizes.length),
      maxRequestBytes,
      maxBatchBytes,
      batches: poolSize * batchesPerRequest,
      events: poolSize * this.eventsPerRequest,
      violations,
    };
  }

  /** Every pre-built body, parsed, for checks before the load. */
  *bodies(): Generator<SampleBody> {
    for (const t of this.templates) yield { batches: JSON.parse(t.bytes.toString('utf8')) as unknown[], violating: t.violating };
  }

  /** The next body, with a fresh `source_request_id` in every batch. */
  next(): Buffer {
    const t = this.templates[this.next_++ % this.templates.length]!;
    const out = Buffer.allocUnsafe(t.bytes.length);
    t.bytes.copy(out);
    for (const slot of t.slots) out.write(String(this.seq++).padStart(ID_DIGITS, '0'), slot, ID_DIGITS, 'latin1');
    return out;
  }
}

export type Rand = () => number;

/** A small seeded PRNG (mulberry32): the same seed gives the same bodies. */
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

export function hex(rand: Rand, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s.toUpperCase();
}

const uuid = (rand: Rand) => `${hex(rand, 8)}-${hex(rand, 4)}-4${hex(rand, 3)}-8${hex(rand, 3)}-${hex(rand, 12)}`;

export const PLANS = ['free', 'silver', 'gold', 'platinum'] as const;
export const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'BR', 'JP', 'IN'] as const;
export const SCREENS = ['Home', 'Search', 'Product Detail', 'Cart', 'Checkout', 'Settings', 'Profile'] as const;
export const BUTTONS = ['signup', 'login', 'add_to_cart', 'share', 'subscribe', 'play'] as const;
const CUSTOM_TYPES = ['navigation', 'transaction', 'user_preference', 'search', 'other'] as const;
const ACTIONS = ['view_detail', 'add_to_cart', 'checkout', 'purchase'] as const;

/** Per-user fields are derived from the user number alone, so a user always looks the same. */
function userParts(user: number) {
  const r = mulberry32(user + 1);
  const ios = r() < 0.5;
  return {
    user_identities: { customerid: `cust-${user}`, email: `user${user}@example.com` },
    device_info: ios
      ? { platform: 'iOS', ios_advertising_id: uuid(r), os_version: `17.${Math.floor(r() * 6)}`, device_model: 'iPhone15,2' }
      : { platform: 'Android', android_advertising_id: uuid(r).toLowerCase(), os_version: `14`, device_model: 'Pixel 8' },
    user_attributes: {
      plan: pick(r, PLANS),
      country: pick(r, COUNTRIES),
      age: 18 + Math.floor(r() * 60),
      newsletter: r() < 0.3,
      tags: ['a', 'b', 'c'].slice(0, 1 + Math.floor(r() * 3)),
    },
  };
}

function makeBatch(rand: Rand, shape: BatchShape, user: number, eventCount: number, sourceRequestId: string, now: number) {
  let ts = now - Math.floor(rand() * 3600_000);
  const violations: string[] = [];
  const parts = userParts(user);
  const extra = shape.extraUserAttributes?.(rand);
  if (extra) violations.push(extra.violation);
  const events = Array.from({ length: eventCount }, () => {
    ts += Math.floor(rand() * 5000);
    const made = shape.event(rand, ts);
    if (made.violation) violations.push(made.violation);
    return made.event;
  });
  const batch = {
    environment: 'production',
    source_request_id: sourceRequestId,
    ...parts,
    ...(extra ? { user_attributes: { ...parts.user_attributes, ...extra.attributes } } : {}),
    events,
    ...(shape.context ? { context: shape.context } : {}),
  };
  return { batch, violations };
}

/**
 * One batch of `user` with `eventCount` events of the default mix, as JSON: what the pool's
 * bodies hold, for a benchmark that must reach every user of a range (seeding profiles).
 */
export function userBatchJson(rand: Rand, user: number, eventCount: number, sourceRequestId: string, now: number): string {
  return JSON.stringify(makeBatch(rand, defaultShape, user, eventCount, sourceRequestId, now).batch);
}

/** The Node SDK mix: half custom events, 30% screen views, 20% commerce events. */
export const defaultShape: BatchShape = { event: (rand, ts) => ({ event: makeEvent(rand, ts) }) };

function makeEvent(rand: Rand, ts: number): Record<string, unknown> {
  const kind = rand();
  if (kind < 0.5) {
    return {
      data: {
        custom_event_type: pick(rand, CUSTOM_TYPES),
        event_name: `Button Clicked ${pick(rand, BUTTONS)}`,
        custom_attributes: { button: pick(rand, BUTTONS), screen: pick(rand, SCREENS), position: String(Math.floor(rand() * 10)) },
        timestamp_unixtime_ms: ts,
      },
      event_type: 'custom_event',
    };
  }
  if (kind < 0.8) {
    return {
      data: {
        screen_name: pick(rand, SCREENS),
        custom_attributes: { section: pick(rand, ['landing', 'catalog', 'account']), referrer: pick(rand, SCREENS) },
        timestamp_unixtime_ms: ts,
      },
      event_type: 'screen_view',
    };
  }
  const quantity = 1 + Math.floor(rand() * 3);
  const price = Math.round((5 + rand() * 95) * 100) / 100;
  const total = Math.round(price * quantity * 100) / 100;
  const tax = Math.round(total * 0.08 * 100) / 100;
  const sku = Math.floor(rand() * 500);
  return {
    data: {
      product_action: {
        action: pick(rand, ACTIONS),
        transaction_id: `tx-${hex(rand, 10).toLowerCase()}`,
        total_amount: Math.round((total + tax) * 100) / 100,
        products: [{ id: `sku-${sku}`, name: `Widget ${sku}`, price, total_product_amount: total, quantity }],
        tax_amount: tax,
      },
      currency_code: 'USD',
      custom_attributes: { campaign: pick(rand, ['spring', 'summer', 'none']) },
      timestamp_unixtime_ms: ts,
    },
    event_type: 'commerce_event',
  };
}
