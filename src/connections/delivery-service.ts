import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Poller } from '../kernel/poller.ts';
import type { IdentityStrategy } from '../identity/strategy.ts';
import type { AudienceStore } from '../audiences/audience-store.ts';
import type { Mpid, WorkspaceId } from '../kernel/ids.ts';
import { AudienceDelivery } from './audience-delivery.ts';
import type { ConnectionRecord, ConnectionStore, OutputRecord, RuleRecord } from './connection-store.ts';
import type { RuleStatus } from './connection-service.ts';
import { replayDeadLetters } from './dead-letters.ts';
import { ConnectionDelivery, type DeliveryOptions, type Forward } from './delivery.ts';
import type { DeliveryLoop } from './delivery-loop.ts';
import type { DeliveryEvents } from './retrier.ts';
import type { DeadLetter, DeliveryStore } from './delivery-store.ts';
import { compileForwarding } from './forwarding/index.ts';
import type { OutputKinds } from './kinds/index.ts';
import type { Output } from './output.ts';
import { ConnectionRules } from './rules-for-connections.ts';
import { type StreamBatch, withBatch } from './stream-batch.ts';

export interface DeliveryServiceOptions extends DeliveryOptions {
  readonly timeoutMs: number;
  /** Stream batches older than this that every cursor passed are deleted. */
  readonly retentionMs: number;
}

const PRUNE_EVERY_MS = 10 * 60_000;
/** Failures a connection's status lists. */
const RECENT_ERRORS = 10;
/** How often the connections are read again, for changes made by another process (the CLI). */
const RELOAD_EVERY_MS = 5000;

/** What makes a running delivery stale: the connection, its output or one of its rules changed. */
const versionOf = (c: ConnectionRecord, o: OutputRecord, rules: readonly RuleRecord[]) =>
  [c.updatedAtMs, o.updatedAtMs, ...rules.map((r) => `${r.id}@${r.updatedAtMs}`)].join(':');

/**
 * Runs a {@link ConnectionDelivery} for every active event connection (an
 * {@link AudienceDelivery} for every audience connection), and keeps them in step
 * with the configuration: a new connection starts, a changed one restarts (its cursor stays), a
 * deleted or deactivated one stops. Also the dead-letter replays, the stream's pruning, the rules'
 * counters and the connections' metrics. A `Job` of the app thread.
 */
export class DeliveryService {
  private readonly running = new Map<number, { delivery: DeliveryLoop; version: string }>();
  private readonly reloads: Poller;
  private readonly prunes: Poller;
  private readonly rules: ConnectionRules;
  private readonly metrics;
  /** Each connection's last failures, newest last (the activity view's recent errors). */
  private readonly recent = new Map<number, { at: string; message: string }[]>();

  constructor(
    private readonly deps: {
      connections: ConnectionStore;
      delivery: DeliveryStore;
      kinds: OutputKinds;
      options: DeliveryServiceOptions;
      logger: Logger;
      registry: Registry;
      /** The workspace's IDSync strategy: its login ids say who is logged in (the `logged_in` forwarding rule). */
      strategyOf: (ws: WorkspaceId) => IdentityStrategy;
      /** Audience connections read membership changes here. */
      audiences: AudienceStore;
      /** A user's identities, by identity type (what audience outputs match users by). */
      identitiesOf: (ws: WorkspaceId, mpid: Mpid) => Record<string, string>;
      /** Whether a user was erased (their batches a loop holds are then not sent: `ConnectionDelivery`). */
      isErased: (ws: WorkspaceId, mpid: Mpid) => boolean;
    },
  ) {
    const ruleRuns = new Counter({ name: 'quanta_rule_runs_total', help: 'Runs of JavaScript rules, by rule and outcome (ok, dropped, error, timeout, memory)', labelNames: ['rule', 'outcome'], registers: [deps.registry] });
    this.rules = new ConnectionRules((rule, outcome) => ruleRuns.inc({ rule: String(rule), outcome }));
    this.reloads = new Poller(() => this.reload(), RELOAD_EVERY_MS);
    this.prunes = new Poller(async () => {
      try {
        const pruned = await deps.delivery.prune(Date.now() - deps.options.retentionMs);
        if (pruned > 0) deps.logger.info({ pruned }, 'delivered batches past the stream\'s retention were deleted');
      } catch (error) {
        deps.logger.warn({ err: error }, 'the delivery stream was not pruned; it is tried again');
      }
    }, PRUNE_EVERY_MS);
    const labelNames = ['connection'] as const;
    const registers = [deps.registry];
    this.metrics = {
      sent: new Counter({ name: 'quanta_connection_sent_batches_total', help: 'Batches delivered, by connection', labelNames, registers }),
      failed: new Counter({ name: 'quanta_connection_failed_requests_total', help: 'Delivery requests that failed (each try), by connection', labelNames, registers }),
      retried: new Counter({ name: 'quanta_connection_retried_requests_total', help: 'Delivery requests tried again, by connection', labelNames, registers }),
      deadLettered: new Counter({ name: 'quanta_connection_dead_lettered_batches_total', help: 'Batches given up on and kept as dead letters, by connection', labelNames, registers }),
    };
    const running = this.running;
    new Gauge({
      name: 'quanta_connection_lag_seconds',
      help: 'Age of the oldest batch a connection has not delivered yet (0: none waits)',
      labelNames,
      registers,
      async collect() {
        for (const { delivery } of running.values()) {
          const c = delivery.connection;
          const cursor = await deps.delivery.peekCursor(c.id);
          if (!cursor || c.audienceId !== null) continue;
          const pending = await deps.delivery.pending(c.workspaceId, cursor.committed);
          this.set({ connection: String(c.id) }, pending.oldestReceivedAtMs === null ? 0 : Math.max(0, (Date.now() - pending.oldestReceivedAtMs) / 1000));
        }
      },
    });
  }

  start(): void {
    this.reloads.start();
    this.prunes.start();
    void this.reloads.run();
  }

  async stop(): Promise<void> {
    await this.reloads.stop();
    await this.prunes.stop();
    await Promise.all([...this.running.values()].map((r) => r.delivery.stop()));
    this.running.clear();
    await this.rules.close();
  }

  /** The configuration changed: start, restart and stop deliveries now. */
  changed(): void {
    void this.reloads.run();
  }

  /** The connection's last failures (at most {@link RECENT_ERRORS}), newest last; kept in memory since Quanta started. */
  recentErrors(id: number): { at: string; message: string }[] {
    return [...(this.recent.get(id) ?? [])];
  }

  /** Checks rule code in the rules' sandbox process: the problem, or undefined. */
  checkRuleCode(code: string, timeoutMs: number): Promise<string | undefined> {
    return this.rules.host.check(code, timeoutMs);
  }

  ruleStatus(id: number): RuleStatus {
    return this.rules.status(id);
  }

  /** Sends dead letters again, each once, in order (see `dead-letters.ts`). */
  async replay(connection: ConnectionRecord, outputRecord: OutputRecord, letters: readonly DeadLetter[]) {
    const output = this.open(outputRecord);
    try {
      return await replayDeadLetters(this.deps.delivery, connection, output, letters, (letter, delivered) => {
        if (delivered) this.metrics.sent.inc({ connection: String(connection.id) }, letter.batches.length + letter.changes.length);
      });
    } finally {
      await output.close();
    }
  }

  private open(o: OutputRecord): Output {
    const kind = this.deps.kinds.get(o.kind);
    if (!kind) throw new Error(`output ${o.id} has the kind "${o.kind}", which this Quanta does not know`);
    return kind.open(o.settings, { timeoutMs: this.deps.options.timeoutMs });
  }

  private async reload(): Promise<void> {
    let all: { connection: ConnectionRecord; output: OutputRecord }[];
    try {
      all = this.deps.connections.allConnections();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'the connections were not read; they are read again');
      return;
    }
    const wanted = new Set<number>();
    // Each workspace's rules read once per look, whatever its number of connections.
    const rulesOf = new Map<WorkspaceId, RuleRecord[]>();
    for (const { connection: c, output: o } of all) {
      if (!c.active) continue;
      let workspaceRules = rulesOf.get(c.workspaceId);
      if (!workspaceRules) rulesOf.set(c.workspaceId, (workspaceRules = this.deps.connections.rules(c.workspaceId)));
      const rules = this.rules.of(workspaceRules, c);
      const version = versionOf(c, o, rules);
      wanted.add(c.id);
      const current = this.running.get(c.id);
      if (current?.version === version) continue;
      if (current) await current.delivery.stop();
      try {
        const delivery = this.deliveryOf(c, o, rules);
        this.running.set(c.id, { delivery, version });
        delivery.start();
      } catch (error) {
        this.running.delete(c.id);
        this.deps.logger.error({ err: error, connection: c.id }, 'a connection\'s delivery could not start');
      }
    }
    for (const [id, r] of this.running) {
      if (wanted.has(id)) continue;
      this.running.delete(id);
      await r.delivery.stop();
    }
  }

  private deliveryOf(c: ConnectionRecord, o: OutputRecord, rules: readonly RuleRecord[]): DeliveryLoop {
    const { delivery, logger, options } = this.deps;
    const output = this.open(o);
    const events = this.eventsOf(c);
    if (c.audienceId !== null) {
      const { deliverChanges } = output;
      if (!deliverChanges) throw new Error(`output ${o.id} (${o.kind}) takes no audience membership changes`);
      return new AudienceDelivery(
        { ...c, audienceId: c.audienceId },
        { audiences: this.deps.audiences, store: delivery, output: { ...output, deliverChanges }, identitiesOf: this.deps.identitiesOf, options, events, logger },
      );
    }
    return new ConnectionDelivery(c, {
      store: delivery,
      output,
      forward: this.forwardOf(c, rules),
      erased: (b) => this.deps.isErased(b.workspaceId, b.mpid),
      options,
      logger,
      startSeq: async () => (c.backfillFromMs === null ? delivery.endSeq() : delivery.seqBefore(c.backfillFromMs)),
      events,
    });
  }

  private eventsOf(c: ConnectionRecord): DeliveryEvents {
    const label = { connection: String(c.id) };
    const { logger } = this.deps;
    return {
        sent: (_id, n) => this.metrics.sent.inc(label, n),
        failed: (_id, error) => {
          this.metrics.failed.inc(label);
          const recent = this.recent.get(c.id) ?? [];
          recent.push({ at: new Date().toISOString(), message: error.message });
          this.recent.set(c.id, recent.slice(-RECENT_ERRORS));
          logger.debug({ connection: c.id, err: error }, 'a delivery failed');
        },
        retried: () => this.metrics.retried.inc(label),
        deadLettered: (_id, n) => {
          this.metrics.deadLettered.inc(label, n);
          logger.warn({ connection: c.id, items: n }, 'deliveries were dead-lettered');
        },
    };
  }

  /** The connection's own checks, then its forwarding (sampling, rules, filter), then its JS rules. */
  private forwardOf(c: ConnectionRecord, rules: readonly RuleRecord[]): Forward {
    const forwarding = compileForwarding({
      filter: c.filter,
      forwardingRules: c.forwardingRules,
      samplingPercent: c.samplingPercent,
      salt: `connection:${c.id}`,
      loginIds: this.deps.strategyOf(c.workspaceId).loginIds,
    });
    const run = this.rules.runnerOf(rules, c);
    const ws: WorkspaceId = c.workspaceId;
    // Nothing to change: the stream's batch goes as it is (its JSON is not even parsed).
    const passes = c.filter === null && c.forwardingRules.length === 0 && c.samplingPercent === 100 && !run;
    return async (b: StreamBatch): Promise<StreamBatch | null> => {
      if (b.workspaceId !== ws) return null;
      if (c.inputId !== null && b.inputId !== c.inputId) return null;
      if (c.environment !== 'all' && b.batch.environment !== c.environment) return null;
      if (passes) return b;
      const forwarded = forwarding(b);
      const ruled = forwarded && (run ? await run(forwarded, b) : forwarded);
      return ruled && withBatch(b, ruled);
    };
  }
}
