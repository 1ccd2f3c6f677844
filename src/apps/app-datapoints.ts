import { v1Time } from '../platform/v1-envelope.ts';
import type { CatalogStore } from '../catalog/catalog-store.ts';
import { ConnectionsInvalid } from '../connections/connection-errors.ts';
import type { ConnectionService } from '../connections/connection-service.ts';
import { type ConnectionFilter, FORWARD_EVERYTHING, parseFilter } from '../connections/forwarding/filter.ts';
import { problem } from '../kernel/errors.ts';
import type { App, PlatformStore } from '../platform/platform-store.ts';
import type { WorkspaceId } from '../kernel/ids.ts';
import type { KeyedQueue } from '../kernel/keyed-queue.ts';
import { AppServiceNotConfigured, AppServiceUnknown, DataPointsInvalid } from './app-errors.ts';
import type { AppService } from './app-service.ts';
import { entryKey, filterEntryOf, forwards } from './datapoint-filters.ts';
import { catalogDataPoints, dataPointKey, parseDataPoint, type V1DataPoint } from './datapoints.ts';

type Connection = ReturnType<ConnectionService['connections']>[number];
type Dated = V1DataPoint & { createdAtMs: number | null };

const view = (p: Dated) => ({ name: p.name, attribute_name: p.attribute_name, type: p.type, event_type: p.event_type, data_type: 'datapoint', created_on: p.createdAtMs === null ? null : v1Time(p.createdAtMs) });
const invalid = (problems: readonly string[]) => new DataPointsInvalid(problems.map(problem));

/** A v1 body of points: an array (as documented), or one point alone (as mParticle's curl example sends it). */
function parseList(body: unknown, filter: boolean): { point: V1DataPoint; enabled?: boolean }[] {
  const items = Array.isArray(body) ? body : [body];
  const problems: string[] = [];
  const parsed = items.flatMap((raw: unknown, i) => {
    const at = Array.isArray(body) ? `[${i}]` : 'body';
    const point = parseDataPoint(raw, at, filter, problems);
    const enabled = (raw as { enabled?: unknown } | null)?.enabled;
    if (filter && typeof enabled !== 'boolean') problems.push(`${at}.enabled: required, true or false.`);
    return point ? [{ point, ...(typeof enabled === 'boolean' ? { enabled } : {}) }] : [];
  });
  if (items.length === 0) problems.push('body: send the data points, an array of {"name", "type", ...}.');
  if (problems.length > 0) throw invalid(problems);
  return parsed;
}

export interface AppDataPointsDeps {
  apps: AppService;
  store: PlatformStore;
  catalog: Pick<CatalogStore, 'points'>;
  connections: ConnectionService;
  /** The apps' writes of one workspace, one at a time (a filter is read, then written). */
  writes: KeyedQueue<WorkspaceId>;
  now?: () => number;
}

/**
 * An app's DataPoints and its DataPoint filters per service (Platform API v1). Its data points
 * are what the catalog has seen in its workspace (the catalog does not keep which input sent a
 * point) and those added in advance (kept with the app). A service's filters are the data
 * filters of the connections from the app's platforms to outputs of that kind: a point is
 * enabled when every one of them forwards it; an update is written to each (through the
 * connection service, which checks the filter and restarts their delivery). A filter update that
 * names a point the app does not have adds it, as mParticle does.
 */
export class AppDataPoints {
  private readonly now: () => number;

  constructor(private readonly deps: AppDataPointsDeps) {
    this.now = deps.now ?? Date.now;
  }

  async list(workspaces: readonly WorkspaceId[], appId: number) {
    return (await this.pointsOf(this.deps.apps.find(workspaces, appId))).map(view);
  }

  /** Adds data points to the app; those it has already stay as they are. */
  async add(workspaces: readonly WorkspaceId[], appId: number, body: unknown) {
    return this.deps.writes.run(this.deps.apps.find(workspaces, appId).workspaceId, () => this.addIn(workspaces, appId, body));
  }

  private async addIn(workspaces: readonly WorkspaceId[], appId: number, body: unknown) {
    const app = this.deps.apps.find(workspaces, appId);
    const points = parseList(body, false).map((p) => p.point);
    const known = new Map((await this.pointsOf(app)).map((p) => [dataPointKey(p), p]));
    this.declare(app, points, known);
    return points.map((p) => view(known.get(dataPointKey(p)) ?? { ...p, createdAtMs: this.now() }));
  }

  serviceFiltering(workspaces: readonly WorkspaceId[], appId: number, service: string) {
    const { name, connections } = this.targets(this.deps.apps.find(workspaces, appId), service);
    return { name, sendNewDataPointsByDefault: connections.every((c) => (c.filter ?? FORWARD_EVERYTHING).send_new_data_points_by_default) };
  }

  async setServiceFiltering(workspaces: readonly WorkspaceId[], appId: number, service: string, body: unknown) {
    return this.deps.writes.run(this.deps.apps.find(workspaces, appId).workspaceId, () => this.setServiceFilteringIn(workspaces, appId, service, body));
  }

  private async setServiceFilteringIn(workspaces: readonly WorkspaceId[], appId: number, service: string, body: unknown) {
    const app = this.deps.apps.find(workspaces, appId);
    const { name, connections } = this.targets(app, service);
    const flag = (body as { sendNewDataPointsByDefault?: unknown } | null)?.sendNewDataPointsByDefault;
    if (typeof flag !== 'boolean') throw invalid(['sendNewDataPointsByDefault: required, true or false.']);
    for (const c of connections) await this.writeFilter(app, c, { ...(c.filter ?? FORWARD_EVERYTHING), send_new_data_points_by_default: flag });
    return { name, sendNewDataPointsByDefault: flag };
  }

  /** The app's data points (and the event types a filter lists), each enabled when every connection to the service forwards it. */
  async filters(workspaces: readonly WorkspaceId[], appId: number, service: string) {
    const app = this.deps.apps.find(workspaces, appId);
    const { connections } = this.targets(app, service);
    const eventTypes = new Map<string, Dated>();
    for (const c of connections) {
      for (const e of c.filter?.data_points ?? []) {
        if (e.type === 'event' && e.name === undefined) eventTypes.set(e.event_type, { name: e.event_type, attribute_name: null, type: 'EventType', event_type: null, createdAtMs: null });
      }
    }
    return [...(await this.pointsOf(app)), ...eventTypes.values()].map((p) => ({ ...view(p), enabled: connections.every((c) => forwards(c.filter, p)) }));
  }

  /** Switches the points on or off in each connection's filter; points the app does not have are added to it. */
  async setFilters(workspaces: readonly WorkspaceId[], appId: number, service: string, body: unknown) {
    return this.deps.writes.run(this.deps.apps.find(workspaces, appId).workspaceId, () => this.setFiltersIn(workspaces, appId, service, body));
  }

  private async setFiltersIn(workspaces: readonly WorkspaceId[], appId: number, service: string, body: unknown) {
    const app = this.deps.apps.find(workspaces, appId);
    const { connections } = this.targets(app, service);
    const given = parseList(body, true);
    const entries = given.map((g) => filterEntryOf(g.point, g.enabled!));
    const checked = parseFilter({ data_points: entries }, 'body');
    if (!checked.ok) throw invalid(checked.problems);
    const keys = new Set(entries.map(entryKey));
    for (const c of connections) {
      const current = c.filter ?? FORWARD_EVERYTHING;
      await this.writeFilter(app, c, { ...current, data_points: [...current.data_points.filter((e) => !keys.has(entryKey(e))), ...checked.value.data_points] });
    }
    this.declare(app, given.map((g) => g.point).filter((p) => p.type !== 'EventType'), new Map((await this.pointsOf(app)).map((p) => [dataPointKey(p), p])));
    // As mParticle's example answers: the points as taken, without the envelope.
    return given.map(({ point: p, enabled }) => ({ name: p.name, ...(p.attribute_name === null ? {} : { attribute_name: p.attribute_name }), type: p.type, event_type: p.event_type, enabled: enabled! }));
  }

  /** The catalog's points of the app's workspace and the app's own, each once, the first seen first. */
  private async pointsOf(app: App): Promise<Dated[]> {
    const points = new Map<string, Dated>();
    const declared: Dated[] = app.dataPoints.map((d) => ({ name: d.name, attribute_name: d.attributeName, type: d.type as V1DataPoint['type'], event_type: d.eventType, createdAtMs: d.createdAtMs }));
    for (const p of [...catalogDataPoints(await this.deps.catalog.points(app.workspaceId)), ...declared]) {
      const key = dataPointKey(p);
      const known = points.get(key);
      if (!known || (p.createdAtMs ?? Infinity) < (known.createdAtMs ?? Infinity)) points.set(key, p);
    }
    return [...points.values()];
  }

  /** Keeps the points the app does not have yet with it. */
  private declare(app: App, points: readonly V1DataPoint[], known: Map<string, Dated>): void {
    const now = this.now();
    const added = points.filter((p) => !known.has(dataPointKey(p)));
    for (const p of added) known.set(dataPointKey(p), { ...p, createdAtMs: now });
    if (added.length === 0) return;
    const fresh = this.deps.store.app(app.id)!;
    const dataPoints = [...fresh.dataPoints, ...added.map((p) => ({ type: p.type, name: p.name, attributeName: p.attribute_name, eventType: p.event_type, createdAtMs: now }))];
    this.deps.store.saveApp({ ...fresh, dataPoints, modifiedAtMs: now });
  }

  /** The connections from the app's platforms to outputs of the service (404 when it is no service, or none sends to it). */
  private targets(app: App, service: string): { name: string; connections: Connection[] } {
    const kind = this.deps.connections.services().find((s) => s.name.toLowerCase() === service.toLowerCase());
    if (!kind) throw new AppServiceUnknown(service);
    const inputs = new Set<number>(this.deps.apps.inputsOf(app).map((i) => i.id));
    const outputs = new Set(this.deps.connections.outputs(app.workspaceId).filter((o) => o.kind === kind.name).map((o) => o.id));
    const connections = this.deps.connections.connections(app.workspaceId).filter((c) => c.audience_id === null && c.input_id !== null && inputs.has(c.input_id) && outputs.has(c.output_id));
    if (connections.length === 0) throw new AppServiceNotConfigured(app.id, kind.name);
    return { name: kind.name, connections };
  }

  private async writeFilter(app: App, c: Connection, filter: ConnectionFilter): Promise<void> {
    try {
      await this.deps.connections.patchConnection(app.workspaceId, c.id, { filter });
    } catch (error) {
      if (error instanceof ConnectionsInvalid) throw invalid(error.problems);
      throw error;
    }
  }
}
