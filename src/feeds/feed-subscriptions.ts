import { v1Time } from '../platform/v1-envelope.ts';
import { ConnectionsInvalid } from '../connections/connection-errors.ts';
import type { ConnectionService } from '../connections/connection-service.ts';
import { problem } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { PlatformStore } from '../platform/platform-store.ts';
import { FeedNotFound } from './feed-errors.ts';
import { FeedSubscriptionInvalid } from './feed-subscription-errors.ts';

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => typeof v === 'object' && v !== null && !Array.isArray(v);
type Connection = ReturnType<ConnectionService['connections']>[number];

/** The subscription settings Quanta's connections have: which environment's data it forwards, and what share of users. */
const SETTINGS = ['environment', 'sampling_percent'] as const;
/** mParticle's example spells the type of a created subscription so, and of a listed one with a space. */
export const CREATED_TYPE = 'PartnerFeed Subscription';
export const LISTED_TYPE = 'Partner Feed Subscription';

const at = (iso: string) => v1Time(Date.parse(iso));

/**
 * Partner feed subscriptions (Platform API v1): the v1 view of a connection from a partner feed's
 * input to an output. An output configuration (`service_configuration_id`) is an output, listed
 * by its kind (the `module_name`, as `GET /v1/services` names kinds); a subscription's `settings`
 * are the connection's `environment` (production, development or all) and `sampling_percent`
 * (1–100), always both listed. The connection service checks and stores it and starts its
 * delivery; one subscription per feed and output. Other body fields (the `os` of mParticle's
 * example) are ignored.
 */
export class FeedSubscriptions {
  constructor(
    /** Looked up on each call: the connections capability comes after the feeds one, whose contracts the catalog needs first. */
    private readonly connectionService: () => ConnectionService,
    private readonly store: PlatformStore,
  ) {}

  private get connections(): ConnectionService {
    return this.connectionService();
  }

  /** The workspace's outputs of a kind; an unknown kind is a 404 naming the kinds. */
  serviceConfigurations(ws: WorkspaceId, moduleName: string) {
    const kind = this.connections.services().find((s) => s.name.toLowerCase() === moduleName.toLowerCase()) ?? this.connections.service(moduleName);
    return this.connections
      .outputs(ws)
      .filter((o) => o.kind === kind.name)
      .map((o) => ({ id: o.id, name: o.name, data_type: 'Service Configuration', created_on: at(o.created_at) }));
  }

  /** Every subscription of the workspace's feeds. */
  list(ws: WorkspaceId) {
    const feeds = new Set<number>(this.store.inputs().filter((i) => i.workspaceId === ws && i.feed !== undefined).map((i) => i.id));
    const outputs = new Map(this.connections.outputs(ws).map((o) => [o.id, o.name]));
    return this.connections
      .connections(ws)
      .filter((c) => c.input_id !== null && feeds.has(c.input_id) && c.audience_id === null)
      .map((c) => this.view(c, outputs.get(c.output_id) ?? null));
  }

  /** Subscribes a feed of these workspaces to an output of its workspace. */
  async create(workspaces: readonly WorkspaceId[], feedId: number, body: unknown) {
    const feed = this.store.inputs().find((i) => i.id === feedId && i.feed !== undefined && workspaces.includes(i.workspaceId));
    if (!feed) throw new FeedNotFound(feedId, 'the account');
    const ws = feed.workspaceId;
    if (!isBag(body)) throw new FeedSubscriptionInvalid([problem('The body must be {"service_configuration_id", "is_active", "settings"}.')]);
    const problems: string[] = [];
    const outputId = body.service_configuration_id;
    const output = Number.isSafeInteger(outputId) ? this.connections.outputs(ws).find((o) => o.id === outputId) : undefined;
    if (!output) problems.push(`service_configuration_id: ${JSON.stringify(outputId ?? null)} is not an output configuration of workspace ${ws}; GET /v1/workspace/${ws}/{module_name}/serviceconfigurations lists them.`);
    else if (this.connections.connections(ws).some((c) => c.input_id === feed.id && c.output_id === output.id && c.audience_id === null)) {
      problems.push(`service_configuration_id: feed ${feed.id} already subscribes to output configuration ${output.id}.`);
    }
    if (body.is_active !== undefined && typeof body.is_active !== 'boolean') problems.push('is_active: must be true or false.');
    const connection: Bag = { input_id: feed.id, output_id: outputId, active: body.is_active ?? true };
    if (body.settings !== undefined && !Array.isArray(body.settings)) problems.push('settings: must be an array of {"name", "value"}.');
    (Array.isArray(body.settings) ? body.settings : []).forEach((s: unknown, i) => {
      const name = isBag(s) ? s.name : undefined;
      if (!isBag(s) || !SETTINGS.includes(name as (typeof SETTINGS)[number])) problems.push(`settings[${i}].name: ${JSON.stringify(name ?? null)} is not a subscription setting; they are ${SETTINGS.join(', ')}.`);
      else connection[name as string] = name === 'sampling_percent' && typeof s.value === 'string' && /^\d+$/.test(s.value) ? Number(s.value) : s.value;
    });
    if (problems.length > 0) throw new FeedSubscriptionInvalid(problems.map(problem));
    const created = await this.connections.createConnection(ws, connection).catch((error: unknown) => {
      // The connection's own checks (an environment or share that is not one) name its fields: the settings'.
      throw error instanceof ConnectionsInvalid ? new FeedSubscriptionInvalid(error.problems.map((p) => problem(`settings: ${p}`))) : error;
    });
    return { data_type: CREATED_TYPE, id: created.id, created_on: at(created.created_at) };
  }

  private view(c: Connection, configName: string | null) {
    return {
      settings: [
        { value: c.environment, name: 'environment' },
        { value: String(c.sampling_percent), name: 'sampling_percent' },
      ],
      is_active: c.active,
      service_configuration_id: c.output_id,
      config_name: configName,
      // Quanta's: which feed the subscription is of (mParticle's example leaves it out).
      partner_feed_id: c.input_id,
      data_type: LISTED_TYPE,
      id: c.id,
      created_on: at(c.created_at),
    };
  }
}
