import type { ErasureNotice } from '../privacy/subject-data.ts';
import type { AudienceChange } from './audience-change.ts';
import type { Parsed, StreamBatch } from './stream-batch.ts';

/**
 * One setting of an output kind, as `GET /v1/services` lists it (mParticle's service settings:
 * `name`, `type`, `is_required`, `description`). A confidential one (an API key, a password) is
 * masked when the output is read back.
 */
export interface SettingSpec {
  readonly name: string;
  readonly type: 'string' | 'bool' | 'int' | 'url';
  readonly is_required: boolean;
  readonly description: string;
  readonly is_confidential?: boolean;
  /** Taken when the setting is not sent. */
  readonly default?: string | boolean | number;
  /** The only values a string setting may take. */
  readonly one_of?: readonly string[];
}

/** Settings after parsing: every spec's name, with its default when not sent. */
export type Settings = Readonly<Record<string, string | boolean | number | undefined>>;

/** Why a delivery failed, classified once at the output boundary (see ARCHITECTURE.md). */
export class DeliveryFailed extends Error {
  constructor(
    message: string,
    /** `retry`: 408, 429, 5xx, a timeout or a refused connection; `permanent`: any other 4xx, a payload the receiver cannot take. */
    readonly retry: 'retry' | 'permanent',
    /** The receiver's `Retry-After`, in ms, when it sent one. */
    readonly retryAfterMs?: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DeliveryFailed';
  }
}

/** An output opened with its settings: what a connection's delivery calls. */
export interface Output {
  /** How many batches one `deliver` may carry (a webhook POSTs one batch; Amplitude takes many). */
  readonly maxBatches: number;
  /**
   * The kind's own switches (a webhook's `send_screen_views`...): the batch with what the output
   * does not send removed (`withBatch`), the same object when nothing is, or null when nothing is
   * left to send. Runs after the connection's filter.
   */
  select?(batch: StreamBatch): StreamBatch | null;
  /**
   * Delivers the batches (one user's in order), or throws {@link DeliveryFailed}. The key is the
   * same for every retry of the same batches, also after a crash; HTTP outputs send it as
   * `X-Quanta-Idempotency-Key`.
   */
  deliver(batches: readonly StreamBatch[], idempotencyKey: string): Promise<void>;
  /**
   * An audience output's: delivers membership changes (in order), or throws
   * {@link DeliveryFailed}; the key as for `deliver`. Absent when the kind takes only events.
   */
  deliverChanges?(changes: readonly AudienceChange[], idempotencyKey: string): Promise<void>;
  /** How many changes one `deliverChanges` may carry. */
  readonly maxChanges?: number;
  /**
   * An output that takes data subject erasure requests (`erasure-forwarding.ts`): sends the
   * notice with the identities it supports and resolves `sent` once the partner acknowledged it,
   * resolves `skipped` (with why) when the notice holds no identity it supports, or throws
   * {@link DeliveryFailed} as `deliver` does. The key is the same for every try of one request.
   * Absent when the kind does not forward erasures.
   */
  forwardErasure?(notice: ErasureNotice, idempotencyKey: string): Promise<ErasureForwarded>;
  close(): Promise<void>;
}

/** How an output took an erasure request: acknowledged, or not sent for want of an identity it supports. */
export type ErasureForwarded = { readonly status: 'sent' } | { readonly status: 'skipped'; readonly message: string };

/** What every output is opened with, besides its settings. */
export interface OutputOptions {
  /** How long a request may take before it counts as a (retryable) timeout. */
  readonly timeoutMs: number;
}

/** A kind of output (`webhook`, `amplitude`, ...): its settings, and how it opens. */
export interface OutputKind {
  readonly name: string;
  readonly description: string;
  readonly settings: readonly SettingSpec[];
  /** Whether its outputs take audience membership changes (audience connections) besides events. */
  readonly audiences?: boolean;
  /** Checks what `parseSettings` cannot see alone (two settings that exclude each other). */
  readonly check?: (settings: Settings) => Parsed<Settings>;
  open(settings: Settings, options: OutputOptions): Output;
}
