import { get, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Quanta } from '../main.ts';
import { basicAuth, CLIENT_ID, CLIENT_SECRET, quantaApp } from '../../test/helpers/quanta-app.ts';
import { PLAN } from '../../test/fixtures/data-plan.ts';

let q: Quanta;
let url: string;

beforeAll(async () => {
  q = await quantaApp();
  url = await q.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await q.close();
});

async function token(): Promise<string> {
  const res = await q.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, audience: 'https://api.mparticle.com', grant_type: 'client_credentials' },
  });
  expect(res.statusCode).toBe(200);
  const body = res.json() as { access_token: string; expires_in: number; token_type: string };
  expect(body).toMatchObject({ expires_in: 28800, token_type: 'Bearer' });
  return body.access_token;
}

function open(query: string, auth: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(`${url}/livestream${query}`, { headers: { authorization: auth } }, resolve).on('error', reject);
  });
}

/** Reads SSE `data:` messages until `count` arrived; each carries its SSE event name as `sse`. */
function messages(res: IncomingMessage, count: number): Promise<Record<string, unknown>[]> {
  return new Promise((resolve) => {
    const got: Record<string, unknown>[] = [];
    let buffer = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        const sse = frame.split('\n').find((l) => l.startsWith('event: '))?.slice(7);
        if (data) got.push({ ...(JSON.parse(data.slice(6)) as Record<string, unknown>), sse });
        if (got.length === count) {
          res.destroy();
          resolve(got);
        }
      }
    });
  });
}

const send = (payload: string) =>
  q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload });

describe('GET /livestream', () => {
  it('streams processed events that match the filters, with exact mpids', async () => {
    const res = await open('?event_type=screen_view,custom_event&environment=production&input_id=1', `Bearer ${await token()}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    const received = messages(res, 2);
    await send('{"environment":"development","events":[{"event_type":"screen_view","data":{"screen_name":"Dev"}}]}');
    await send('{"events":[{"event_type":"session_start","data":{}}]}');
    await send('{"mpid":9223372036854775807,"events":[{"event_type":"screen_view","data":{"screen_name":"Prod"}},{"event_type":"custom_event","data":{"event_name":"Go"}}]}');
    const events = await received;
    expect(events.map((e) => [e.event_type, e.event_name, e.environment])).toEqual([
      ['screen_view', 'Prod', 'production'],
      ['custom_event', 'Go', 'production'],
    ]);
    expect(typeof events[0]!.mpid).toBe('number'); // JSON.parse rounds it here; the exact digits are checked below
  });

  it('writes mpids as exact JSON numbers', async () => {
    await q.processor.caughtUp();
    const res = await open('', `Bearer ${await token()}`);
    const frame = new Promise<string>((resolve) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        const mine = text.split('\n\n').find((f) => f.includes('"screen_name":"Exact"'));
        if (mine) {
          res.destroy();
          resolve(mine);
        }
      });
    });
    await send('{"mpid":-9223372036854775807,"events":[{"event_type":"screen_view","data":{"screen_name":"Exact"}}]}');
    expect(await frame).toContain('"mpid":-9223372036854775807,');
  });

  it('shows data plan violations on events, and the data a plan blocked', async () => {
    const bearer = `Bearer ${await token()}`;
    const plan = {
      data_plan_id: 'live',
      data_plan_name: 'Live',
      data_plan_versions: [{ version: 1, activated_environment: 'production', version_document: { ...PLAN, settings: { validation_actions: { event: 'drop_event' } } } }],
    };
    const created = await q.app.inject({ method: 'POST', url: '/platform/v2/workspaces/1/plans', headers: { authorization: bearer, 'content-type': 'application/json' }, payload: JSON.stringify(plan) });
    expect(created.statusCode, created.body).toBe(200);
    const res = await open('?event_type=custom_event,screen_view', bearer);
    const received = messages(res, 2);
    const batch = {
      context: { data_plan: { plan_id: 'live' } },
      user_identities: { customer_id: 'c1' },
      events: [
        { event_type: 'custom_event', data: { event_name: 'Search', custom_event_type: 'search', custom_attributes: { query: 'q', category: 'toys' } } },
        { event_type: 'screen_view', data: { screen_name: 'Unplanned' } },
      ],
    };
    expect((await send(JSON.stringify(batch))).statusCode).toBe(202);
    const [blocked, event] = await received;
    expect(blocked).toMatchObject({ sse: 'blocked', batch: { context: { data_plan: { plan_id: 'live', plan_version: 1, block_metadata: { dto_version: 1 } } } } });
    expect(event).toMatchObject({ sse: 'event', event_name: 'Search', violations: [{ validation_error_type: 'invalid_value', key: 'category' }] });
  });

  it('refuses a missing or unknown token with 401, an unknown event type with 400 and a foreign workspace with 403', async () => {
    const none = await open('', '');
    expect(none.statusCode).toBe(401);
    none.destroy();
    const wrong = await open('', 'Bearer nope');
    expect(wrong.statusCode).toBe(401);
    wrong.destroy();
    const bad = await open('?event_type=teleport', `Bearer ${await token()}`);
    expect(bad.statusCode).toBe(400);
    bad.destroy();
    const elsewhere = await open('?workspace_id=77', `Bearer ${await token()}`);
    expect(elsewhere.statusCode).toBe(403);
    elsewhere.destroy();
  });
});

describe('POST /oauth/token', () => {
  it('refuses wrong client credentials and unsupported grants', async () => {
    const post = (payload: Record<string, unknown>) => q.app.inject({ method: 'POST', url: '/oauth/token', payload });
    expect((await post({ client_id: CLIENT_ID, client_secret: 'x', grant_type: 'client_credentials' })).statusCode).toBe(401);
    expect((await post({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, grant_type: 'password' })).statusCode).toBe(400);
    const missing = await post({ client_id: CLIENT_ID });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().errors.map((e: { message: string }) => e.message)).toEqual([
      'Required field "client_secret" is missing or empty.',
      'Required field "grant_type" is missing or empty.',
    ]);
  });
});
