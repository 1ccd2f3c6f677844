import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { type Receiver, startReceiver, until } from '../../test/helpers/receiver.ts';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { IDEMPOTENCY_HEADER } from './http-send.ts';

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const FOREIGN_WS = workspaceId(77);
const base = (ws: number = 1) => `/platform/v2/workspaces/${ws}`;

let q: Quanta;
let bearer: string;
let receiver: Receiver;
const call = (method: Method, url: string, payload?: unknown, auth: string | null = bearer) =>
  q.app.inject({
    method,
    url,
    headers: { ...(auth !== null ? { authorization: auth } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);
const send = (batch: Json) =>
  q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(batch) });

async function created(url: string, body: Json): Promise<Json & { id: number }> {
  const res = await call('POST', url, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Json & { id: number };
}
const webhookTo = (path: string, extra: Json = {}) => ({ name: `Hook ${path}`, kind: 'webhook', settings: { url: `${receiver.url}${path}`, ...extra } });

beforeAll(async () => {
  receiver = await startReceiver();
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_DELIVERY_RETRY_BASE_MS: '20', QUANTA_AUDIENCE_WRITE_MS: '50' });
  q.stores.platform.saveTenant({ orgId: 99, accountId: 99, workspaceId: FOREIGN_WS });
  bearer = await bearerAuth(q);
});
afterAll(async () => {
  await q.close();
  await receiver.close();
});

describe('outputs API', () => {
  it('creates a webhook output (201), answers its confidential setting masked, and keeps it when the mask is sent back', async () => {
    const output = await created(`${base()}/outputs`, webhookTo('/a', { authorization_header: 'Bearer very-secret-token' }));
    expect(output).toMatchObject({ name: 'Hook /a', kind: 'webhook' });
    expect(output.settings).toMatchObject({ url: `${receiver.url}/a`, authorization_header: '********************oken', send_as_batch: true, include_metadata: true });
    const read = (await call('GET', `${base()}/outputs/${output.id}`)).json() as Json;
    expect(read).toEqual(output);
    const updated = await call('PUT', `${base()}/outputs/${output.id}`, { name: 'Renamed', settings: { ...(output.settings as Json), send_screen_views: false } });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(q.stores.connections.output(workspaceId(1), output.id)!.settings).toMatchObject({ authorization_header: 'Bearer very-secret-token', send_screen_views: false });
    expect(((await call('GET', `${base()}/outputs`)).json() as Json[]).map((o) => o.name)).toContain('Renamed');
  });

  it('refuses invalid settings with a 400 naming every field, storing nothing', async () => {
    const before = (await call('GET', `${base()}/outputs`)).json();
    const res = await call('POST', `${base()}/outputs`, { name: '', kind: 'webhook', settings: { url: 'ftp://x', send_as_batch: 'yes', colour: 'red' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_CONNECTIONS_INVALID');
    expect(messages(res)).toEqual([
      'name: required, a name for the output',
      expect.stringMatching(/^settings\.colour: the webhook output has no such setting; it has url, authorization_header, send_as_batch, batches_per_request, include_metadata, /),
      'settings.url: must be an http or https URL, not ftp:',
      'settings.send_as_batch: must be true or false',
    ]);
    expect(messages(await call('POST', `${base()}/outputs`, { name: 'x', kind: 'pigeon' }))).toEqual([
      expect.stringMatching(/^kind: "pigeon" is not an output kind; the kinds are webhook, amplitude, braze.* \(GET \/v1\/services\)$/),
    ]);
    expect(messages(await call('POST', `${base()}/outputs`, { name: 'x', kind: 'webhook', settings: {} }))[0]).toMatch(/^settings\.url: required/);
    expect((await call('GET', `${base()}/outputs`)).json()).toEqual(before);
  });

  it('answers 404 for an unknown id and for another workspace\'s, and 403 for a foreign workspace', async () => {
    const output = await created(`${base()}/outputs`, webhookTo('/b'));
    expect((await call('GET', `${base()}/outputs/999999`)).statusCode).toBe(404);
    expect((await call('GET', `${base(77)}/outputs/${output.id}`)).statusCode).toBe(403);
    const malformed = await call('GET', `${base()}/outputs/abc`);
    expect(malformed.statusCode).toBe(400);
    expect((await call('GET', `${base()}/outputs`, undefined, null)).statusCode).toBe(401);
  });

  it('refuses to delete an output a connection uses (409), then deletes it (204) once the connection is gone', async () => {
    const output = await created(`${base()}/outputs`, webhookTo('/c'));
    const connection = await created(`${base()}/connections`, { output_id: output.id, active: false });
    const refused = await call('DELETE', `${base()}/outputs/${output.id}`);
    expect(refused.statusCode).toBe(409);
    expect(messages(refused)).toEqual([`Output ${output.id} is used by connection ${connection.id}; delete it or point it elsewhere first.`]);
    expect((await call('DELETE', `${base()}/connections/${connection.id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `${base()}/outputs/${output.id}`)).statusCode).toBe(204);
    expect((await call('GET', `${base()}/outputs/${output.id}`)).statusCode).toBe(404);
  });
});

describe('GET /v1/services', () => {
  it('lists every output kind with its settings in the v1 envelope, and one by name', async () => {
    const res = await call('GET', '/v1/services?accountId=1');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { data: Json[]; dataType: string; errors: null };
    expect(body.dataType).toBe('service');
    expect(body.errors).toBeNull();
    const hook = body.data.find((s) => s.name === 'webhook')!;
    expect(hook.data_type).toBe('service');
    expect(hook.settings).toContainEqual({ is_required: true, name: 'url', description: expect.any(String), type: 'String' });
    expect(hook.settings).toContainEqual(expect.objectContaining({ name: 'send_as_batch', type: 'Bool', is_required: false, default_value: true }));
    expect(((await call('GET', '/v1/services/webhook?accountId=1')).json() as { data: Json[] }).data).toEqual([hook]);
    expect((await call('GET', '/v1/services/pigeon?accountId=1')).statusCode).toBe(404);
    expect((await call('GET', '/v1/services')).statusCode).toBe(401);
    expect((await call('GET', '/v1/services?accountId=5')).statusCode).toBe(403);
  });
});

describe('connections API', () => {
  it('refuses a connection naming nothing real, with every field named', async () => {
    const res = await call('POST', `${base()}/connections`, {
      output_id: 999999,
      input_id: 42,
      environment: 'staging',
      sampling_percent: 0,
      rules: [5],
      active: 'yes',
      backfill_from: 'yesterday',
      colour: 'red',
    });
    expect(res.statusCode).toBe(400);
    const problems = messages(res);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^colour: not a field of a connection/),
        expect.stringMatching(/^input_id: 42 is not an input of workspace 1/),
        'output_id: 999999 is not an output of workspace 1',
        'environment: must be one of "production", "development", "all"',
        expect.stringMatching(/^sampling_percent: /),
        'rules[0]: 5 is not a rule of workspace 1',
        'active: must be true or false',
        expect.stringMatching(/^backfill_from: must be a date-time/),
      ]),
    );
    expect(messages(await call('POST', `${base()}/connections`, {}))).toEqual(['output_id: required, the id of an output of this workspace']);
    expect((await call('POST', `${base()}/connections`, '{"output_id": ')).statusCode).toBe(400);
  });

  it('delivers processed batches to a webhook in mParticle\'s batch format, with the idempotency key, and counts them', async () => {
    const output = await created(`${base()}/outputs`, webhookTo('/deliver', { authorization_header: 'Basic dTpw' }));
    const connection = await created(`${base()}/connections`, { output_id: output.id, environment: 'production' });
    expect(connection).toMatchObject({ output_id: output.id, environment: 'production', input_id: 1, sampling_percent: 100, active: true, filter: null, rules: [] });
    const res = await send({
      environment: 'production',
      source_request_id: 'deliver-1',
      user_identities: { customer_id: 'hook-1' },
      user_attributes: { tier: 'gold' },
      events: [{ event_type: 'custom_event', data: { event_name: 'Played', custom_event_type: 'other', custom_attributes: { level: 3 } } }],
    });
    expect(res.statusCode).toBe(202);
    // A development batch does not go to a production connection.
    await send({ environment: 'development', user_identities: { customer_id: 'hook-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Dev' } }] });
    await until('the batch delivered', () => receiver.received.some((r) => r.path === '/deliver'));
    const [delivered] = receiver.received.filter((r) => r.path === '/deliver');
    expect(delivered!.headers.authorization).toBe('Basic dTpw');
    expect(delivered!.headers[IDEMPOTENCY_HEADER.toLowerCase()]).toMatch(new RegExp(`^${connection.id}-\\d+-\\d+$`));
    const body = JSON.parse(delivered!.body) as Json;
    expect(body).toMatchObject({
      environment: 'production',
      source_request_id: 'deliver-1',
      user_identities: { customer_id: 'hook-1' },
      user_attributes: { tier: 'gold' },
      events: [{ event_type: 'custom_event', data: { event_name: 'Played', custom_attributes: { level: 3 } } }],
    });
    expect(delivered!.body).toMatch(/"mpid":-?\d+[,}]/);
    await until('the status counts both', async () => {
      const s = (await call('GET', `${base()}/connections/${connection.id}/status`)).json() as Json;
      return s.sent === 1 && s.filtered === 1 && s.pending === 0;
    });
    const status = (await call('GET', `${base()}/connections/${connection.id}/status`)).json() as Json;
    expect(status).toMatchObject({ connection_id: connection.id, active: true, sent: 1, filtered: 1, failed: 0, dead_lettered: 0, oldest_pending_age_seconds: null, last_error: null });
    const metrics = (await q.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(new RegExp(`quanta_connection_sent_batches_total\\{connection="${connection.id}"\\} 1`));
    await call('PATCH', `${base()}/connections/${connection.id}`, { active: false });
  });

  it('keeps refused batches as dead letters, lists them, and replays them when the receiver is fixed', async () => {
    let broken = true;
    receiver.answerWith((r) => (r.path === '/dlq' && broken ? { status: 422, body: '{"error":"unknown field"}' } : { status: 200 }));
    const output = await created(`${base()}/outputs`, webhookTo('/dlq'));
    const connection = await created(`${base()}/connections`, { output_id: output.id });
    for (const i of [1, 2]) {
      await send({ environment: 'production', user_identities: { customer_id: `dlq-${i}` }, events: [{ event_type: 'custom_event', data: { event_name: 'Dlq' } }] });
    }
    const url = `${base()}/connections/${connection.id}`;
    await until('two dead letters', async () => ((await call('GET', `${url}/status`)).json() as Json).dead_lettered === 2);
    const letters = (await call('GET', `${url}/dead-letters`)).json() as { data: Json[]; next_after: number | null };
    expect(letters.data).toHaveLength(2);
    expect(letters.data[0]).toMatchObject({ batches: 1, attempts: 1, error: expect.stringMatching(/answered 422: \{"error":"unknown field"\}/) });
    const status = (await call('GET', `${url}/status`)).json() as Json;
    expect(status.last_error).toMatchObject({ message: expect.stringMatching(/answered 422/) });
    expect(status.recent_errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/answered 422/) }), expect.objectContaining({ message: expect.stringMatching(/answered 422/) })]);
    expect(messages(await call('POST', `${url}/dead-letters/replay`, { ids: [999999] }))).toEqual([`ids: 999999 is not a dead letter of connection ${connection.id}`]);

    broken = false;
    const one = await call('POST', `${url}/dead-letters/replay`, { ids: [letters.data[0]!.id] });
    expect(one.json()).toEqual({ replayed: 1, delivered: 1, failed: 0 });
    const rest = await call('POST', `${url}/dead-letters/replay`, {});
    expect(rest.json()).toEqual({ replayed: 1, delivered: 1, failed: 0 });
    expect(((await call('GET', `${url}/dead-letters`)).json() as { data: Json[] }).data).toEqual([]);
    expect((await call('GET', `${url}/status`)).json()).toMatchObject({ sent: 2, dead_lettered: 0 });
    const keys = receiver.received.filter((r) => r.path === '/dlq').map((r) => r.headers[IDEMPOTENCY_HEADER.toLowerCase()]);
    expect(keys).toHaveLength(4);
    expect(new Set(keys).size).toBe(2);
    await call('PATCH', url, { active: false });
  });

  it('backfills a new connection from the stream with backfill_from', async () => {
    await send({ environment: 'production', user_identities: { customer_id: 'history-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Old' } }] });
    await until('processed', async () => (await q.stores.delivery.pending(workspaceId(1), 0)).count > 0 && q.processor !== undefined);
    const output = await created(`${base()}/outputs`, webhookTo('/backfill'));
    const connection = await created(`${base()}/connections`, { output_id: output.id, backfill_from: '2020-01-01T00:00:00Z' });
    await until('the history delivered', () => receiver.received.some((r) => r.path === '/backfill' && r.body.includes('"Old"')));
    await until('the backfill done', async () => ((await call('GET', `${base()}/connections/${connection.id}/status`)).json() as { backfill: { percent: number } }).backfill.percent === 100);
    expect(((await call('GET', `${base()}/connections/${connection.id}/status`)).json() as Json).backfill).toEqual({ from: '2020-01-01T00:00:00.000Z', percent: 100 });
    await call('PATCH', `${base()}/connections/${connection.id}`, { active: false });
  });

  it('PATCHes only the fields sent and answers 404 for another tenant\'s connection', async () => {
    const output = await created(`${base()}/outputs`, webhookTo('/patch'));
    const connection = await created(`${base()}/connections`, { output_id: output.id, environment: 'development', active: false });
    const patched = await call('PATCH', `${base()}/connections/${connection.id}`, { sampling_percent: 25 });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ environment: 'development', sampling_percent: 25, active: false });
    expect((await call('PATCH', `${base()}/connections/999999`, { active: true })).statusCode).toBe(404);
    expect((await call('GET', `${base(77)}/connections/${connection.id}`)).statusCode).toBe(403);
  });
});

describe('rules API and rules on a connection', () => {
  const TAG = 'exports.handler = (batch, context, callback) => { batch.user_attributes.ruled = "yes"; callback(null, batch); };';
  const LOOP = 'exports.handler = (batch, context, callback) => { for (;;) {} };';

  it('refuses code that does not load, naming the problem, and a body without its fields', async () => {
    const res = await call('POST', `${base()}/rules`, { name: 'Broken', code: 'exports.handler = (batch => {', failure_action: 'proceed' });
    expect(res.statusCode).toBe(400);
    expect(messages(res)[0]).toMatch(/^code: SyntaxError/);
    expect(messages(await call('POST', `${base()}/rules`, { name: 'No action', code: TAG }))).toEqual([expect.stringMatching(/^failure_action: /)]);
  });

  it('runs a connection\'s rules on each batch: one changes it, one that never ends is stopped and its batch passes on unmodified', async () => {
    const tag = await created(`${base()}/rules`, { name: 'Tag', code: TAG, failure_action: 'discard' });
    expect(tag).toMatchObject({ name: 'Tag', failure_action: 'discard', timeout_ms: 200, scope: 'connection', status: 'ok', runs: 0 });
    const loop = await created(`${base()}/rules`, { name: 'Loop', code: LOOP, failure_action: 'proceed', timeout_ms: 50 });
    const output = await created(`${base()}/outputs`, webhookTo('/ruled'));
    const connection = await created(`${base()}/connections`, { output_id: output.id, rules: [loop.id, tag.id] });
    await send({ environment: 'production', user_identities: { customer_id: 'ruled-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Ruled' } }] });
    await until('the ruled batch delivered', () => receiver.received.some((r) => r.path === '/ruled'));
    const body = JSON.parse(receiver.received.find((r) => r.path === '/ruled')!.body) as { user_attributes: Json };
    expect(body.user_attributes.ruled).toBe('yes');
    const looped = (await call('GET', `${base()}/rules/${loop.id}`)).json() as Json;
    expect(looped).toMatchObject({ status: 'failing', runs: 1, timeouts: 1, last_errors: [{ message: expect.stringMatching(/time/i) }] });
    expect((await call('GET', `${base()}/rules/${tag.id}`)).json()).toMatchObject({ status: 'ok', runs: 1, errors: 0 });
    const metrics = (await q.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(new RegExp(`quanta_rule_runs_total\\{rule="${loop.id}",outcome="timeout"\\} 1`));
    expect(metrics).toMatch(new RegExp(`quanta_rule_runs_total\\{rule="${tag.id}",outcome="ok"\\} 1`));
    const inUse = await call('DELETE', `${base()}/rules/${tag.id}`);
    expect(inUse.statusCode).toBe(409);
    await call('PATCH', `${base()}/connections/${connection.id}`, { active: false });
  });
});

describe('a rule for all outputs', () => {
  it('runs for every connection of the workspace before the connection\'s own, and its discard drops the batch', async () => {
    const all = await created(`${base()}/rules`, {
      name: 'Drop internal', scope: 'all_outputs', failure_action: 'proceed',
      code: 'exports.handler = (batch, context, callback) => callback(null, batch.user_attributes.internal ? null : batch);',
    });
    const output = await created(`${base()}/outputs`, webhookTo('/all-rules'));
    const connection = await created(`${base()}/connections`, { output_id: output.id });
    await send({ environment: 'production', user_identities: { customer_id: 'internal-1' }, user_attributes: { internal: true }, events: [{ event_type: 'custom_event', data: { event_name: 'Internal' } }] });
    await send({ environment: 'production', user_identities: { customer_id: 'external-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'External' } }] });
    await until('both batches decided', async () => {
      const s = (await call('GET', `${base()}/connections/${connection.id}/status`)).json() as Json;
      return (s.sent as number) + (s.filtered as number) >= 2;
    });
    const names = receiver.received.filter((r) => r.path === '/all-rules').map((r) => (JSON.parse(r.body) as { events: { data: { event_name: string } }[] }).events[0]!.data.event_name);
    expect(names).toEqual(['External']);
    // Every active event connection of the workspace ran it on the internal user's batch.
    const stats = (await call('GET', `${base()}/rules/${all.id}`)).json() as { scope: string; dropped: number };
    expect(stats.scope).toBe('all_outputs');
    expect(stats.dropped).toBeGreaterThanOrEqual(1);
    await call('PATCH', `${base()}/connections/${connection.id}`, { active: false });
    await call('DELETE', `${base()}/rules/${all.id}`);
  });
});

describe('data filter and forwarding rules on a connection', () => {
  it('forwards only what the filter and the rules let through', async () => {
    const output = await created(`${base()}/outputs`, webhookTo('/filtered'));
    const connection = await created(`${base()}/connections`, {
      output_id: output.id,
      filter: { send_new_data_points_by_default: true, data_points: [{ type: 'event', event_type: 'custom_event', name: 'Debug Ping', enabled: false }, { type: 'user_attribute', name: 'secret', enabled: false }] },
      forwarding_rules: [{ type: 'consent', regulation: 'ccpa', action: 'do_not_forward' }],
    });
    await send({ environment: 'production', user_identities: { customer_id: 'filter-1' }, user_attributes: { secret: 's', tier: 'gold' }, events: [{ event_type: 'custom_event', data: { event_name: 'Debug Ping' } }, { event_type: 'custom_event', data: { event_name: 'Kept' } }] });
    await send({
      environment: 'production',
      user_identities: { customer_id: 'filter-2' },
      consent_state: { ccpa: { data_sale_opt_out: { consented: true, timestamp_unixtime_ms: Date.now(), document: 'ccpa-v1' } } },
      events: [{ event_type: 'custom_event', data: { event_name: 'Opted Out' } }],
    });
    await until('both batches decided', async () => {
      const s = (await call('GET', `${base()}/connections/${connection.id}/status`)).json() as Json;
      return (s.sent as number) + (s.filtered as number) === 2;
    });
    const got = receiver.received.filter((r) => r.path === '/filtered').map((r) => JSON.parse(r.body) as { events: { data: { event_name: string } }[]; user_attributes: Json });
    expect(got).toHaveLength(1);
    expect(got[0]!.events.map((e) => e.data.event_name)).toEqual(['Kept']);
    expect(got[0]!.user_attributes).toEqual({ tier: 'gold' });
    expect(messages(await call('POST', `${base()}/connections`, { output_id: output.id, filter: { data_points: [{ type: 'user_attribute', enabled: false }] } }))).toEqual([
      expect.stringMatching(/^filter\.data_points\[0\]\.name: /),
    ]);
    await call('PATCH', `${base()}/connections/${connection.id}`, { active: false });
  });
});

describe('audience connections', () => {
  it('sends the audience\'s current members, then each membership change, as membership change requests', async () => {
    const audience = await created(`${base()}/audiences`, { name: 'Hook Gold', definition: { user_attribute: { name: 'hook_tier', operator: 'equals', value: 'gold' } } });
    expect((await call('POST', `${base()}/audiences/${audience.id}/activation`)).statusCode).toBe(200);
    await send({ environment: 'production', user_identities: { customer_id: 'member-1', email: 'm1@example.com' }, user_attributes: { hook_tier: 'gold' }, events: [] });
    await until('the first member', async () => ((await call('GET', `${base()}/audiences/${audience.id}/size`)).json() as Json).size === 1);

    const output = await created(`${base()}/outputs`, webhookTo('/audience'));
    expect(messages(await call('POST', `${base()}/connections`, { output_id: output.id, audience_id: 999999 }))).toEqual(['audience_id: 999999 is not an audience of workspace 1']);
    expect(messages(await call('POST', `${base()}/connections`, { output_id: output.id, audience_id: audience.id, filter: null }))).toEqual([
      'filter: an audience connection sends membership changes, which filter does not apply to; leave it out',
    ]);
    const connection = await created(`${base()}/connections`, { output_id: output.id, audience_id: audience.id });
    expect(connection.audience_id).toBe(audience.id);
    await until('the current members sent', () => receiver.received.some((r) => r.path === '/audience'));
    await send({ environment: 'production', user_identities: { customer_id: 'member-2' }, user_attributes: { hook_tier: 'gold' }, events: [] });
    await send({ environment: 'production', user_identities: { customer_id: 'member-1' }, user_attributes: { hook_tier: 'silver' }, events: [] });
    type Profile = { mpid: number; user_identities: { type: string; value: string }[]; audiences: { audience_id: number; audience_name: string; action: string }[] };
    const profiles = () =>
      receiver.received
        .filter((r) => r.path === '/audience')
        .flatMap((r) => (JSON.parse(r.body) as { type: string; user_profiles: Profile[] }).user_profiles.map((p) => ({ ...p, type: (JSON.parse(r.body) as { type: string }).type })));
    const customer = (p: Profile) => p.user_identities.find((i) => i.type === 'customer_id')?.value;
    await until('both changes sent', () => profiles().length >= 3);
    expect(profiles().map((p) => [customer(p), p.audiences[0]!.action])).toEqual([
      ['member-1', 'add'],
      ['member-2', 'add'],
      ['member-1', 'delete'],
    ]);
    const first = profiles()[0]!;
    expect(first).toMatchObject({ type: 'audience_membership_change_request', audiences: [{ audience_id: audience.id, audience_name: 'Hook Gold' }] });
    expect(first.user_identities).toContainEqual({ type: 'email', encoding: 'raw', value: 'm1@example.com' });
    await until('the status counts them', async () => ((await call('GET', `${base()}/connections/${connection.id}/status`)).json() as Json).sent === 3);
    expect((await call('GET', `${base()}/connections/${connection.id}/status`)).json()).toMatchObject({ pending: 0, dead_lettered: 0 });
    const amplitude = await created(`${base()}/outputs`, { name: 'Amp', kind: 'amplitude', settings: { api_key: 'k' } });
    expect(messages(await call('POST', `${base()}/connections`, { output_id: amplitude.id, audience_id: audience.id }))).toEqual([
      expect.stringMatching(/^audience_id: amplitude outputs take events only; audiences go to webhook, braze/),
    ]);
  });
});

describe('partner outputs through the whole app', () => {
  it('sends Amplitude its HTTP V2 body and Braze its /users/track body, to the endpoints their settings name', async () => {
    const amplitude = await created(`${base()}/outputs`, { name: 'Amplitude', kind: 'amplitude', settings: { api_key: 'amp-key-123', endpoint: `${receiver.url}/2/httpapi` } });
    const braze = await created(`${base()}/outputs`, { name: 'Braze', kind: 'braze', settings: { api_key: 'braze-key-456', rest_endpoint: `${receiver.url}/braze` } });
    const ids = [
      (await created(`${base()}/connections`, { output_id: amplitude.id })).id,
      (await created(`${base()}/connections`, { output_id: braze.id })).id,
    ];
    await send({
      environment: 'production',
      user_identities: { customer_id: 'partner-1', email: 'p1@example.com' },
      user_attributes: { $FirstName: 'Ada', tier: 'gold' },
      events: [{ event_type: 'custom_event', data: { event_name: 'Played Level', custom_event_type: 'other', custom_attributes: { level: 3 }, timestamp_unixtime_ms: Date.now() } }],
    });
    await until('both partners called', () => receiver.received.some((r) => r.path === '/2/httpapi') && receiver.received.some((r) => r.path === '/braze/users/track'));
    const amp = JSON.parse(receiver.received.find((r) => r.path === '/2/httpapi')!.body) as { api_key: string; events: Json[] };
    expect(amp.api_key).toBe('amp-key-123');
    expect(amp.events).toContainEqual(expect.objectContaining({ event_type: 'Played Level', user_id: 'partner-1', event_properties: expect.objectContaining({ level: 3 }), insert_id: expect.any(String) }));
    const track = receiver.received.find((r) => r.path === '/braze/users/track')!;
    expect(track.headers.authorization).toBe('Bearer braze-key-456');
    const body = JSON.parse(track.body) as { attributes: Json[]; events: Json[] };
    expect(body.attributes).toContainEqual(expect.objectContaining({ external_id: 'partner-1', first_name: 'Ada', tier: 'gold' }));
    expect(body.events).toContainEqual(expect.objectContaining({ external_id: 'partner-1', name: 'Played Level' }));
    for (const id of ids) await call('PATCH', `${base()}/connections/${id}`, { active: false });
  });

  it('writes NDJSON files under workspace / date / hour', async () => {
    const directory = tempDir('files-output');
    const output = await created(`${base()}/outputs`, { name: 'Files', kind: 'files', settings: { directory, max_file_seconds: 1 } });
    const connection = await created(`${base()}/connections`, { output_id: output.id });
    await send({ environment: 'production', user_identities: { customer_id: 'files-1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Filed' } }] });
    const lines = () =>
      readdirSync(directory, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.ndjson'))
        .flatMap((f) => readFileSync(join(directory, f), 'utf8').split('\n').filter(Boolean));
    await until('the batch written and its file rolled', () => lines().some((l) => l.includes('"Filed"')), 20_000);
    const [file] = readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ndjson'));
    expect(file).toMatch(/^workspace=1\/date=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/part-.*\.ndjson$/);
    await call('PATCH', `${base()}/connections/${connection.id}`, { active: false });
  });
});
