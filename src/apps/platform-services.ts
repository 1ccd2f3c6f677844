import { ConnectionsInvalid } from '../connections/connection-errors.ts';
import type { ConnectionService } from '../connections/connection-service.ts';
import { problem } from '../kernel/errors.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { KeyedQueue } from '../kernel/keyed-queue.ts';
import { PlatformServiceInvalid } from './app-errors.ts';
import type { AppService } from './app-service.ts';

type Bag = Record<string, unknown>;
const isBag = (v: unknown): v is Bag => typeof v === 'object' && v !== null && !Array.isArray(v);
type Service = ReturnType<ConnectionService['services']>[number];
type OutputView = ReturnType<ConnectionService['outputs']>[number];
type Value = string | boolean | number;

/** mParticle's `account` when a body leaves it out or sends null. */
export const DEFAULT_SERVICE_ACCOUNT = 'Default Account';

const INVALID = 'Invalid settings entered while updating the service.';
const invalid = (messages: readonly string[]) => new PlatformServiceInvalid(messages.map(problem));
/** A setting's value as v1 shows it: text (`"True"`, `"30"`), confidential ones masked; null when unset. */
const shown = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));

/** A v1 setting's value (text, mostly) as the output kind's type; undefined when it is not one. */
function valueOf(spec: Service['settings'][number], value: unknown): Value | undefined {
  switch (spec.type) {
    case 'Bool':
      if (typeof value === 'boolean') return value;
      return typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : undefined;
    case 'Int':
      if (Number.isSafeInteger(value)) return value as number;
      return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
    default:
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  }
}

/**
 * The Platform API v1 services of an app platform: the v1 view of the connections from the
 * platform's input to outputs. A service is an output kind (`GET /v1/services`); its `account` is
 * the output's name, so one platform may send to several outputs of a kind; `settings` are the
 * output's (an output is its workspace's: every platform connected to it shares them); `isActive`
 * is the connection's. `isVisible` is taken and always answered true: Quanta has no UI to hide a
 * service from. Configuring creates the output and the connection when they do not exist yet; the
 * connection service checks and stores both, and starts, stops or restarts their delivery.
 */
export class PlatformServices {
  constructor(
    private readonly connections: ConnectionService,
    private readonly apps: AppService,
    /** The apps' writes of one workspace, one at a time: a check of what exists sees what the write before it made. */
    private readonly writes: KeyedQueue<WorkspaceId>,
  ) {}

  list(workspaces: readonly WorkspaceId[], appId: number, os: string) {
    const input = this.apps.platformInput(workspaces, appId, os);
    const outputs = new Map(this.connections.outputs(input.workspaceId).map((o) => [o.id, o]));
    return this.connections
      .connections(input.workspaceId)
      .filter((c) => c.input_id === input.id && c.audience_id === null)
      .map((c) => this.view(outputs.get(c.output_id)!, c.active));
  }

  async configure(workspaces: readonly WorkspaceId[], appId: number, os: string, body: unknown) {
    const ws = this.apps.platformInput(workspaces, appId, os).workspaceId;
    return this.writes.run(ws, () => this.configureIn(workspaces, appId, os, body));
  }

  private async configureIn(workspaces: readonly WorkspaceId[], appId: number, os: string, body: unknown) {
    const input = this.apps.platformInput(workspaces, appId, os);
    const ws = input.workspaceId;
    if (!isBag(body)) throw invalid(['Specified service not found.', 'The body must be {"account", "name", "isActive", "isVisible", "settings"}.']);
    const service = typeof body.name === 'string' ? this.connections.services().find((s) => s.name.toLowerCase() === (body.name as string).toLowerCase()) : undefined;
    if (!service) {
      const names = this.connections.services().map((s) => s.name);
      throw invalid(['Specified service not found.', `name: ${JSON.stringify(body.name ?? null)} is not a service; the services are ${names.join(', ')} (GET /v1/services).`]);
    }
    const problems: string[] = [];
    if (body.account !== undefined && body.account !== null && (typeof body.account !== 'string' || body.account.trim() === '')) problems.push('account: must be a name for the service account (the output).');
    const account = typeof body.account === 'string' && body.account.trim() !== '' ? body.account.trim() : DEFAULT_SERVICE_ACCOUNT;
    for (const flag of ['isActive', 'isVisible']) if (body[flag] !== undefined && typeof body[flag] !== 'boolean') problems.push(`${flag}: must be true or false.`);
    if (problems.length > 0) throw invalid(problems);
    const output = this.connections.outputs(ws).find((o) => o.kind === service.name && o.name === account);
    const settings = this.settingsOf(service, body.settings, output);
    const saved = await this.invalidAsSettings(() =>
      output
        ? this.connections.updateOutput(ws, output.id, { name: account, settings })
        : this.connections.createOutput(ws, { name: account, kind: service.name, settings }),
    );
    const active = body.isActive as boolean | undefined;
    const connection = this.connections.connections(ws).find((c) => c.input_id === input.id && c.output_id === saved.id && c.audience_id === null);
    const result = connection
      ? active === undefined
        ? connection
        : await this.connections.patchConnection(ws, connection.id, { active })
      : await this.connections.createConnection(ws, { input_id: input.id, output_id: saved.id, active: active ?? true });
    return this.view(saved, result.active);
  }

  private view(o: OutputView, active: boolean) {
    const specs = this.connections.services().find((s) => s.name === o.kind)?.settings ?? [];
    return {
      account: o.name,
      name: o.kind,
      isActive: active,
      isVisible: true,
      settings: specs.map((s) => ({ name: s.name, value: shown(o.settings[s.name]), isConfidential: s.is_confidential === true })),
      data_type: 'service',
    };
  }

  /**
   * The output's settings after the body's `[{"name", "value"}]`: named ones replaced, the others
   * kept (a masked confidential value keeps the stored one). mParticle's messages first, then what
   * each problem is.
   */
  private settingsOf(service: Service, raw: unknown, output: OutputView | undefined): Record<string, Value | undefined> {
    const documented = new Set<string>();
    const details: string[] = [];
    const fail = (message: string, detail: string): void => {
      documented.add(message);
      details.push(detail);
    };
    const given: Record<string, Value> = {};
    if (raw !== undefined && !Array.isArray(raw)) fail(INVALID, 'settings: must be an array of {"name", "value"}.');
    (Array.isArray(raw) ? raw : []).forEach((entry: unknown, i) => {
      const spec = isBag(entry) && typeof entry.name === 'string' ? service.settings.find((s) => s.name.toLowerCase() === (entry.name as string).toLowerCase()) : undefined;
      if (!isBag(entry) || typeof entry.name !== 'string') return fail(INVALID, `settings[${i}]: must be {"name", "value"}.`);
      if (!spec) return fail('Provided setting not found.', `settings[${i}].name: ${service.name} has no setting "${entry.name}"; it has ${service.settings.map((s) => s.name).join(', ')}.`);
      if (entry.value === undefined || entry.value === null || entry.value === '') return fail('Setting value is required.', `settings[${i}].value: ${spec.name} needs a value.`);
      const value = valueOf(spec, entry.value);
      if (value === undefined) return fail(INVALID, `settings[${i}].value: ${spec.name} is ${spec.type === 'Bool' ? 'true or false' : spec.type === 'Int' ? 'a whole number' : 'text'}.`);
      given[spec.name] = value;
    });
    const settings = { ...output?.settings, ...given };
    for (const s of service.settings) {
      if (s.is_required && (settings[s.name] === undefined || settings[s.name] === '')) fail('Required setting not provided.', `settings: ${s.name} is required (${s.description})`);
    }
    if (details.length > 0) throw invalid([...documented, ...details]);
    return settings;
  }

  /** The output's own checks (a URL's scheme, a kind's combinations) as v1's settings error. */
  private async invalidAsSettings<T>(save: () => Promise<T>): Promise<T> {
    try {
      return await save();
    } catch (error) {
      if (error instanceof ConnectionsInvalid) throw invalid([INVALID, ...error.problems]);
      throw error;
    }
  }
}
