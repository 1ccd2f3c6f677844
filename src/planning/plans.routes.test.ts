import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { basicAuth, bearerAuth, CLIENT_ID, quantaApp } from '../../test/helpers/quanta-app.ts';

let q: Quanta;
let bearer: string;
const BASE = '/platform/v2/workspaces/1/plans';

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  // A workspace of another organisation.
  q.stores.platform.saveTenant({ orgId: 99, accountId: 99, workspaceId: workspaceId(77) });
  bearer = await bearerAuth(q);
});
afterAll(async () => {
  await q.close();
});

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, auth: string | null = bearer) =>
  q.app.inject({
    method,
    url,
    headers: { ...(auth ? { authorization: auth } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });
const plans = async () => (await call('GET', BASE)).json() as { data_plan_id: string }[];
/** What a test must leave unchanged: every plan with its versions' documents. */
const snapshot = async () => Promise.all((await plans()).map(async (p) => (await call('GET', `${BASE}/${p.data_plan_id}`)).json()));

const customEvent = {
  description: 'A purchase was completed',
  match: { type: 'custom_event', criteria: { event_name: 'Checkout Completed', custom_event_type: 'transaction' } },
  validator: {
    type: 'json_schema',
    definition: {
      properties: {
        data: {
          additionalProperties: true,
          properties: {
            custom_attributes: {
              additionalProperties: false,
              properties: { total: { type: 'number', minimum: 0 }, currency: { type: 'string', enum: ['USD', 'EUR'] } },
              required: ['total'],
            },
          },
          required: ['custom_attributes'],
        },
      },
    },
  },
};
const screenView = {
  description: 'Home screen',
  match: { type: 'screen_view', criteria: { screen_name: 'Home' } },
  validator: { type: 'json_schema', definition: { properties: { data: { additionalProperties: true, properties: {} } } } },
};
const userAttributes = {
  description: 'User attributes',
  match: { type: 'user_attributes', criteria: {} },
  validator: {
    type: 'json_schema',
    definition: { additionalProperties: false, properties: { plan: { type: 'string' }, age: { type: 'integer', minimum: 0 } } },
  },
};
const plan = {
  data_plan_name: 'Mobile Data Plan',
  data_plan_description: 'Our mobile apps',
  data_plan_versions: [
    { version: 1, version_description: 'First', activated_environment: 'development', version_document: { data_points: [customEvent, screenView, userAttributes] } },
  ],
};

describe('Data Planning API: plans', () => {
  it('creates, reads, lists, updates and deletes a plan and its versions', async () => {
    const created = await call('POST', BASE, plan);
    expect(created.statusCode).toBe(200);
    const body = created.json();
    expect(body).toMatchObject({
      data_plan_id: 'mobile_data_plan',
      data_plan_name: 'Mobile Data Plan',
      data_plan_description: 'Our mobile apps',
      created_by: `client_id:${CLIENT_ID}`,
      data_plan_versions: [
        {
          version: 1,
          data_plan_id: 'mobile_data_plan',
          version_description: 'First',
          activated_environment: 'development',
          created_by: `client_id:${CLIENT_ID}`,
          version_document: { data_points: [customEvent, screenView, userAttributes] },
        },
      ],
    });
    expect(Date.parse(body.created_on)).not.toBeNaN();
    expect(body.last_modified_on).toBeUndefined();
    expect(await call('GET', `${BASE}/mobile_data_plan`).then((r) => r.json())).toEqual(body);

    const list = await call('GET', BASE);
    expect(list.statusCode).toBe(200);
    const listed = list.json().find((p: { data_plan_id: string }) => p.data_plan_id === 'mobile_data_plan');
    expect(listed.data_plan_versions[0].version).toBe(1);
    expect(listed.data_plan_versions[0].version_document).toBeUndefined();

    const patched = await call('PATCH', `${BASE}/mobile_data_plan`, { data_plan_description: 'Updated' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ data_plan_name: 'Mobile Data Plan', data_plan_description: 'Updated', last_modified_by: `client_id:${CLIENT_ID}` });
    expect(patched.json().data_plan_versions).toHaveLength(1);

    const v2 = await call('POST', `${BASE}/mobile_data_plan/versions`, {
      version: 2,
      version_document: { data_points: [customEvent, userAttributes] },
      activated_environment: 'production',
    });
    expect(v2.statusCode).toBe(200);
    expect(v2.json()).toMatchObject({ version: 2, data_plan_id: 'mobile_data_plan', activated_environment: 'production', created_by: `client_id:${CLIENT_ID}` });
    expect((await call('GET', `${BASE}/mobile_data_plan/versions/2`)).json()).toEqual(v2.json());

    const v1 = await call('PATCH', `${BASE}/mobile_data_plan/versions/1`, { version: 1, version_document: { data_points: [screenView] }, activated_environment: 'none' });
    expect(v1.statusCode).toBe(200);
    expect(v1.json()).toMatchObject({ version: 1, version_description: 'First', activated_environment: 'none', version_document: { data_points: [screenView] } });
    expect((await call('GET', `${BASE}/mobile_data_plan/versions/1`)).json()).toEqual(v1.json());
    expect((await call('GET', `${BASE}/mobile_data_plan`)).json().data_plan_versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);

    expect((await call('DELETE', `${BASE}/mobile_data_plan/versions/1`)).statusCode).toBe(204);
    expect((await call('GET', `${BASE}/mobile_data_plan/versions/1`)).statusCode).toBe(404);
    expect((await call('DELETE', `${BASE}/mobile_data_plan`)).statusCode).toBe(204);
    expect((await call('GET', `${BASE}/mobile_data_plan`)).statusCode).toBe(404);
    expect((await call('GET', `${BASE}/mobile_data_plan/versions/2`)).statusCode).toBe(404);
  });

  it('keeps an explicit data_plan_id and creates a plan without versions', async () => {
    const res = await call('POST', BASE, { data_plan_id: 'web-plan_2', data_plan_name: 'Web' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ data_plan_id: 'web-plan_2', data_plan_name: 'Web', data_plan_versions: [] });
    expect((await call('DELETE', `${BASE}/web-plan_2`)).statusCode).toBe(204);
  });
});

describe('Data Planning API: errors change nothing', () => {
  beforeAll(async () => {
    await call('POST', BASE, { ...plan, data_plan_id: 'base' });
    await call('POST', `${BASE}/base/versions`, { version: 2, activated_environment: 'production', version_document: { data_points: [] } });
  });

  const unchanged = async (request: () => Promise<{ statusCode: number; json(): unknown }>, status: number, message?: RegExp) => {
    const before = await snapshot();
    const res = await request();
    expect(res.statusCode).toBe(status);
    const errors = (res.json() as { errors: { message: string }[] }).errors;
    if (message) expect(errors.map((e) => e.message).join(' ')).toMatch(message);
    expect(await snapshot()).toEqual(before);
  };

  it('401 without a token or with a bad one', async () => {
    for (const auth of [null, 'Bearer nope']) {
      await unchanged(() => call('GET', BASE, undefined, auth), 401);
      await unchanged(() => call('POST', BASE, { data_plan_name: 'X' }, auth), 401);
      await unchanged(() => call('PATCH', `${BASE}/base`, { data_plan_name: 'X' }, auth), 401);
      await unchanged(() => call('DELETE', `${BASE}/base`, undefined, auth), 401);
      await unchanged(() => call('DELETE', `${BASE}/base/versions/1`, undefined, auth), 401);
    }
  });

  it("403 for a workspace not of the token's organisation, or none", async () => {
    for (const ws of [77, 12345]) {
      await unchanged(() => call('GET', `/platform/v2/workspaces/${ws}/plans`), 403);
      await unchanged(() => call('POST', `/platform/v2/workspaces/${ws}/plans`, { data_plan_name: 'X' }), 403);
      await unchanged(() => call('DELETE', `/platform/v2/workspaces/${ws}/plans/base`), 403);
    }
  });

  it('404 for unknown plans and versions', async () => {
    await unchanged(() => call('GET', `${BASE}/nope`), 404, /plan ID nope in workspace 1 was not found/);
    await unchanged(() => call('PATCH', `${BASE}/nope`, { data_plan_name: 'X' }), 404);
    await unchanged(() => call('DELETE', `${BASE}/nope`), 404);
    await unchanged(() => call('POST', `${BASE}/nope/versions`, { version: 1 }), 404);
    await unchanged(() => call('GET', `${BASE}/base/versions/9`), 404, /version 9 in plan ID base was not found in workspace 1/);
    await unchanged(() => call('PATCH', `${BASE}/base/versions/9`, { version_description: 'x' }), 404);
    await unchanged(() => call('DELETE', `${BASE}/base/versions/9`), 404);
  });

  it('409 for a duplicate plan id or version', async () => {
    await unchanged(() => call('POST', BASE, { data_plan_id: 'base', data_plan_name: 'Other' }), 409, /already exists/);
    await unchanged(() => call('POST', `${BASE}/base/versions`, { version: 1, version_document: { data_points: [] } }), 409, /Version 1 of plan base/);
  });

  it('400 for invalid plan documents, naming each problem', async () => {
    const post = (body: unknown) => () => call('POST', BASE, body);
    await unchanged(post({ data_plan_description: 'no name' }), 400, /data_plan_name is required/);
    await unchanged(post({ data_plan_name: 5 }), 400, /data_plan_name is required/);
    await unchanged(post({ data_plan_name: 'X', data_plan_description: 3 }), 400, /data_plan_description must be a string/);
    await unchanged(post({ data_plan_name: 'X', data_plan_id: 'has space' }), 400, /data_plan_id must be/);
    await unchanged(post({ data_plan_name: 'X', data_plan_versions: {} }), 400, /data_plan_versions must be an array/);
    await unchanged(post({ data_plan_name: 'X', data_plan_versions: [{ version: 0 }] }), 400, /version must be a positive integer/);
    await unchanged(post({ data_plan_name: 'X', data_plan_versions: [{ version: 1.5 }] }), 400, /version must be a positive integer/);
    await unchanged(post({ data_plan_name: 'X', data_plan_versions: [{ version: '1' }] }), 400, /version must be a positive integer/);
    await unchanged(post({ data_plan_name: 'X', data_plan_versions: [{ version: 1 }, { version: 1 }] }), 400, /listed twice/);
    await unchanged(
      post({ data_plan_name: 'X', data_plan_versions: [{ version: 1, version_document: { data_points: {} } }] }),
      400,
      /data_points must be an array/,
    );
    await unchanged(
      post({ data_plan_name: 'X', data_plan_versions: [{ version: 1, version_document: { data_points: [{ match: { criteria: {} } }] } }] }),
      400,
      /data_points\[0\]\.match\.type is missing; use one of/,
    );
    await unchanged(
      post({ data_plan_name: 'X', data_plan_versions: [{ version: 1, version_document: { data_points: [{ validator: {} }] } }] }),
      400,
      /data_points\[0\]\.match is missing/,
    );
    await unchanged(
      post({
        data_plan_name: 'X',
        data_plan_versions: [
          { version: 1, version_document: { data_points: [{ match: { type: 'screen_view', criteria: { screen_name: 'A' } }, validator: { type: 'json_schema', definition: { type: 'nope' } } }] } },
        ],
      }),
      400,
      /data_points\[0\].*is not a valid JSON Schema/,
    );
    await unchanged(
      post({ data_plan_name: 'X', data_plan_versions: [{ version: 1, activated_environment: 'staging' }] }),
      400,
      /activated_environment must be one of/,
    );
    await unchanged(post([plan]), 400, /must be a JSON object/);
    await unchanged(() => call('POST', BASE, '{"data_plan_name":'), 400, /not valid JSON/);

    await unchanged(() => call('PATCH', `${BASE}/base`, { data_plan_name: '' }), 400, /data_plan_name is required/);
    await unchanged(() => call('PATCH', `${BASE}/base`, { data_plan_id: 'other' }), 400, /data_plan_id cannot change/);
    await unchanged(() => call('PATCH', `${BASE}/base`, { data_plan_versions: [] }), 400, /versions cannot be changed here/);
    await unchanged(() => call('POST', `${BASE}/base/versions`, { version: -3 }), 400, /version must be a positive integer/);
    await unchanged(() => call('POST', `${BASE}/base/versions`, { version: 3, version_document: { data_points: 'x' } }), 400, /data_points must be an array/);
    await unchanged(() => call('PATCH', `${BASE}/base/versions/1`, { version: 2 }), 400, /version cannot change/);
    await unchanged(() => call('PATCH', `${BASE}/base/versions/1`, { version_document: { data_points: [{ match: {} }] } }), 400, /match\.type/);
    await unchanged(() => call('GET', `${BASE}/base/versions/abc`), 400);
    await unchanged(() => call('GET', `${BASE}/base/versions/0`), 400);
  });

  it('400 when deleting a version active in production or the last one', async () => {
    await unchanged(() => call('DELETE', `${BASE}/base/versions/2`), 400, /active in prod/);
    await call('POST', BASE, { data_plan_id: 'single', data_plan_name: 'Single', data_plan_versions: [{ version: 1 }] });
    await unchanged(() => call('DELETE', `${BASE}/single/versions/1`), 400, /at least one plan version/);
  });

  it('takes plan documents over 256 KB and answers 413 over 10 MB', async () => {
    const big = (bytes: number) => ({
      data_plan_id: `big_${bytes}`,
      data_plan_name: 'Big',
      data_plan_versions: [{ version: 1, version_document: { data_points: [{ ...screenView, description: 'x'.repeat(bytes) }] } }],
    });
    const ok = await call('POST', BASE, big(1024 * 1024));
    expect(ok.statusCode).toBe(200);
    await unchanged(() => call('POST', BASE, big(10 * 1024 * 1024 + 1)), 413, /larger than 10 MB/);
    await unchanged(() => call('PATCH', `${BASE}/base/versions/1`, { version_document: big(10 * 1024 * 1024 + 1).data_plan_versions[0]!.version_document }), 413);
    await unchanged(() => call('POST', `${BASE}/base/versions`, { version: 3, version_document: { data_points: [{ ...screenView, description: 'x'.repeat(11 * 1024 * 1024) }] } }), 413);
  });
});

describe('POST /plans/validate', () => {
  const document = {
    data_points: [
      {
        match: { type: 'custom_event', criteria: { event_name: 'Search', custom_event_type: 'search' } },
        validator: {
          type: 'json_schema',
          definition: {
            type: 'object',
            properties: { data: { type: 'object', properties: { custom_attributes: { type: 'object', required: ['term'], additionalProperties: false, properties: { term: { type: 'string' } } } } } },
          },
        },
      },
    ],
  };
  const event = (name: string, attrs: Record<string, unknown>) => ({ event_type: 'custom_event', data: { event_name: name, custom_event_type: 'search', custom_attributes: attrs } });

  it('returns the validation results of a batch against a plan document', async () => {
    const res = await call('POST', `${BASE}/validate`, { document, batch: { environment: 'production', events: [event('Search', { term: 'x' }), event('Search', { color: 'red' }), event('Teleport', {})] } });
    expect(res.statusCode).toBe(200);
    const results = res.json().results as { data: { match?: { type: string; criteria?: Record<string, string> }; validation_errors: { validation_error_type: string; key?: string }[] } }[];
    const errors = results.flatMap((r) => r.data.validation_errors.map((e) => [r.data.match?.criteria?.event_name, e.validation_error_type, e.key]));
    expect(errors).toEqual(
      expect.arrayContaining([
        // As @mparticle/data-planning-node reports it: the object missing the required key.
        ['Search', 'missing_required', 'custom_attributes'],
        ['Search', 'unplanned', 'color'],
        ['Teleport', 'unplanned', 'Teleport'],
      ]),
    );
  });

  it('refuses a schema that does not compile, an invalid batch and a missing token', async () => {
    const bad = { data_points: [{ match: { type: 'screen_view', criteria: { screen_name: 'A' } }, validator: { type: 'json_schema', definition: { type: 'nope' } } }] };
    const r1 = await call('POST', `${BASE}/validate`, { document: bad, batch: { events: [] } });
    expect(r1.statusCode).toBe(400);
    expect(r1.body).toMatch(/not a valid JSON Schema/);
    const r2 = await call('POST', `${BASE}/validate`, { document, batch: { events: [{ event_type: 'warp' }] } });
    expect(r2.statusCode).toBe(400);
    expect(r2.json().errors[0].message).toMatch(/batch\.events\[0\]\.event_type "warp"/);
    expect((await call('POST', `${BASE}/validate`, { document, batch: {} }, null)).statusCode).toBe(401);
  });
});

describe('batches naming a data plan', () => {
  it('are accepted when the plan and version exist, and refused with 400 when they do not', async () => {
    expect((await call('POST', BASE, { data_plan_id: 'ingest_plan', data_plan_name: 'Ingest plan', data_plan_versions: [{ version: 2 }] })).statusCode).toBe(200);
    const send = (data_plan: Record<string, unknown>) =>
      q.app.inject({
        method: 'POST',
        url: '/v2/bulkevents',
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        payload: JSON.stringify([{ context: { data_plan }, events: [{ event_type: 'screen_view', data: { screen_name: 'Planned' } }] }]),
      });
    expect((await send({ plan_id: 'ingest_plan', plan_version: 2 })).statusCode).toBe(202);
    expect((await send({ plan_id: 'ingest_plan' })).statusCode).toBe(202);
    const lagBefore = await q.processor.lag();
    const missingVersion = await send({ plan_id: 'ingest_plan', plan_version: 3 });
    expect(missingVersion.statusCode).toBe(400);
    expect(missingVersion.json().errors[0].message).toMatch(/\[0\]\.context\.data_plan names plan "ingest_plan" version 3, which does not exist/);
    const missingPlan = await send({ plan_id: 'nope' });
    expect(missingPlan.statusCode).toBe(400);
    expect(await q.processor.lag()).toBeLessThanOrEqual(lagBefore);
  });
});
