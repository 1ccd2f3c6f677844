import type { IdentityType } from '../../identity/identity-types.ts';
import type { Batch } from '../../model/batch.ts';
import type { StreamBatch } from '../stream-batch.ts';
import { compileFilter, type ConnectionFilter, FORWARD_EVERYTHING } from './filter.ts';
import { compileForwardingRules, type ForwardingRule } from './forwarding-rules.ts';
import { inSample } from './sampling.ts';

/** A connection's forwarding, as parsed (`parseFilter`, `parseForwardingRules`, `parseSamplingPercent`). */
export interface ForwardingConfig {
  /** Null: no filter, every data point forwards. */
  readonly filter: ConnectionFilter | null;
  readonly forwardingRules: readonly ForwardingRule[];
  readonly samplingPercent: number;
  /** Keys the connection's sample (its id, say), so each connection samples its own users. */
  readonly salt: string;
  /** The login ids of the workspace's identity strategy, for the `logged_in` rule. */
  readonly loginIds: ReadonlySet<IdentityType>;
}

/**
 * Compiles what a connection does to each batch before its output sees it, cheapest first: user
 * sampling (a hash of the MPID), the forwarding rules, the data filter. The answer is the batch to
 * send (never the stream's batch changed: it is shared by every connection), or null when the
 * batch is not forwarded: its user is out of the sample, a rule refuses it, or it had events and
 * none is left. A batch that came without events (an attribute or identity update) is forwarded
 * with what the filter leaves of it.
 *
 * @example
 *   const forward = compileForwarding({ filter, forwardingRules, samplingPercent: 50, salt: `connection:${id}`, loginIds: rulesOf(strategy).loginIds });
 *   const batch = forward(streamBatch); // Batch | null
 */
export function compileForwarding(config: ForwardingConfig): (b: StreamBatch) => Batch | null {
  const { samplingPercent, salt } = config;
  const rules = compileForwardingRules(config.forwardingRules, { loginIds: config.loginIds });
  const filter = compileFilter(config.filter ?? FORWARD_EVERYTHING);
  return function forward(b) {
    if (!inSample(b.mpid, samplingPercent, salt)) return null;
    const ruled = rules(b.batch);
    if (ruled === null) return null;
    const filtered = filter(ruled);
    return filtered.events.length === 0 && b.batch.events.length > 0 ? null : filtered;
  };
}
