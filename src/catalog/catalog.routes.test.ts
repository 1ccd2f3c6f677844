import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import type { CatalogAttributeView, CatalogPointView } from './catalog-view.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';

let q: Quanta;
let bearer: string;
let startedAt: number;
const CATALOG = '/platform/v2/workspaces/1/catalog';
const PLANS = '/platform/v2/workspaces/1/plans';

const video = (attributes: Record<string, unknown>) => ({
  event_type: 'custom_event',
  data: { event_name: 'Video Played', custom_event_type: 'media', custom_attributes: attributes },
});
const batches = [
  {
    environment: 'production',
    source_request_id: 'catalog-1',
    user_identities: { customerid: 'c-1', email: 'one@example.com' },
    user_attributes: { plan: 'gold', interests: ['golf', 'chess'] },
    events: [
      video({ title: 'Intro', seconds: 30, hd: true, started: '2024-05-01T10:00:00Z' }),
      video({ title: 'Intro', seconds: 45.5, hd: false }),
      { event_type: 'screen_view', data: { screen_name: 'Home' } },
      { event_type: 'commerce_event', data: { product_action: { action: 'purchase', total_amount: 10 }, custom_attributes: { coupon: 'SPRING' } } },
    ],
  },
  {
    environment: 'development',
    source_request_id: 'catalog-2',
    user_identities: { customerid: 'c-2' },
    user_attributes: { plan: 'silver', age: 40 },
    events: [
      video({ title: 'Outro', seconds: '12' }),
      { event_type: 'screen_view', data: { screen_name: 'Settings' } },
      { event_type: 'push_registration', data: { push_token: 'tok', register: true } },
    ],
  },
];

const get = (url: string, auth: string | null = bearer) => q.app.inject({ method: 'GET', url, headers: auth ? { authorization: auth } : {} });
const post = (url: string, payload: unknown) =>
  q.app.inject({ method: 'POST', url, headers: { authorization: bearer, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
const catalog = async (query = '') => {
  const res = await get(`${CATALOG}${query}`);
  expect(res.statusCode).toBe(200);
  return (res.json() as { data_points: CatalogPointView[] }).data_points;
};
const pointNamed = (points: CatalogPointView[], name: string) => points.find((p) => p.name === name)!;
const attr = (p: CatalogPointView, name: string) => p.attributes.find((a) => a.name === name) as CatalogAttributeView;

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  q.stores.platform.saveTenant({ orgId: 99, accountId: 99, workspaceId: workspaceId(77) });
  bearer = await bearerAuth(q);
  startedAt = Date.now();
  // One at a time: the two users' batches land in different partitions, processed in no set
  // order, and the examples below are listed in the order they were seen.
  for (const batch of batches) {
    const sent = await q.app.inject({
      method: 'POST',
      url: '/v2/bulkevents',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      payload: JSON.stringify([batch]),
    });
    expect(sent.statusCode).toBe(202);
    await q.processor.caughtUp();
  }
});
afterAll(async () => {
  await q.close();
});

describe('GET /platform/v2/workspaces/{workspaceId}/catalog', () => {
  it('lists every data point seen with counts, times, environments, types and examples', async () => {
    const points = await catalog();
    expect(points.map((p) => [p.category, p.name])).toEqual([
      ['custom_events', 'Video Played'],
      ['screen_views', 'Home'],
      ['screen_views', 'Settings'],
      ['commerce', 'product_action:purchase'],
      ['user_information', 'user_attributes'],
      ['user_information', 'user_identities'],
      ['other', 'push_registration'],
    ]);
    const played = pointNamed(points, 'Video Played');
    expect(played).toMatchObject({
      match: { type: 'custom_event', criteria: { event_name: 'Video Played', custom_event_type: 'media' } },
      plannable: true,
      count: 3,
      environments: ['production', 'development'],
      covered_by: [],
    });
    for (const t of [played.first_seen, played.last_seen]) expect(Date.parse(t)).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(played.attributes.map((a) => [a.name, a.count, a.types, a.examples])).toEqual([
      ['hd', 2, ['boolean'], [true, false]],
      ['seconds', 3, ['string', 'number'], [30, 45.5, '12']],
      ['started', 1, ['date-time'], ['2024-05-01T10:00:00Z']],
      ['title', 3, ['string'], ['Intro', 'Outro']],
    ]);
    expect(attr(pointNamed(points, 'product_action:purchase'), 'coupon')).toMatchObject({ types: ['string'], examples: ['SPRING'] });
    expect(pointNamed(points, 'user_attributes').attributes.map((a) => [a.name, a.count, a.types])).toEqual([
      ['age', 1, ['number']],
      ['interests', 1, ['string-list']],
      ['plan', 2, ['string']],
    ]);
    const identities = pointNamed(points, 'user_identities');
    expect(identities.count).toBe(2);
    expect(identities.attributes.map((a) => [a.name, a.count, a.types, a.examples])).toEqual([
      ['customer_id', 2, ['string'], []],
      ['email', 1, ['string'], []],
    ]);
    expect(pointNamed(points, 'push_registration')).toMatchObject({ match: { type: 'push_registration' }, plannable: false, environments: ['development'] });
  });

  it('filters by category, name, environment and last seen', async () => {
    const names = async (query: string) => (await catalog(query)).map((p) => p.name);
    expect(await names('?category=screen_views')).toEqual(['Home', 'Settings']);
    expect(await names('?search=SET')).toEqual(['Settings']);
    expect(await names('?environment=development&category=screen_views')).toEqual(['Settings']);
    expect(await names('?environment=production')).not.toContain('push_registration');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect(await names(`?seen_after=${tomorrow}`)).toEqual([]);
    expect(await names(`?seen_before=${tomorrow}&category=custom_events`)).toEqual(['Video Played']);
    expect(await names('?seen_after=2020-01-01&seen_before=2020-01-02')).toEqual([]);
  });

  it("names the active plan versions covering each data point and attribute, each plan's latest", async () => {
    const schema = (attributes: Record<string, unknown>) => ({
      type: 'json_schema',
      definition: { properties: { data: { properties: { custom_attributes: { properties: attributes } } } } },
    });
    const created = await post(PLANS, {
      data_plan_id: 'media',
      data_plan_name: 'Media',
      data_plan_versions: [
        {
          version: 1,
          activated_environment: 'development',
          version_document: {
            data_points: [
              { match: { type: 'custom_event', criteria: { event_name: 'Video Played', custom_event_type: 'media' } }, validator: schema({ title: { type: 'string' } }) },
              { match: { type: 'user_attributes' }, validator: { type: 'json_schema', definition: { properties: { plan: { type: 'string' } } } } },
            ],
          },
        },
        { version: 2, activated_environment: 'none', version_document: { data_points: [] } },
      ],
    });
    expect(created.statusCode).toBe(200);
    await post(PLANS, {
      data_plan_id: 'screens',
      data_plan_name: 'Screens',
      data_plan_versions: [
        { version: 4, activated_environment: 'production', version_document: { data_points: [{ match: { type: 'screen_view', criteria: { screen_name: 'Home' } }, validator: { type: 'json_schema', definition: {} } }] } },
      ],
    });
    const media = { data_plan_id: 'media', version: 1 };
    let points = await catalog();
    const played = pointNamed(points, 'Video Played');
    expect(played.covered_by).toEqual([media]);
    expect(played.attributes.map((a) => [a.name, a.covered_by])).toEqual([
      ['hd', []],
      ['seconds', []],
      ['started', []],
      ['title', [media]],
    ]);
    expect(pointNamed(points, 'Home').covered_by).toEqual([{ data_plan_id: 'screens', version: 4 }]);
    expect(pointNamed(points, 'Settings').covered_by).toEqual([]);
    expect(pointNamed(points, 'user_attributes').covered_by).toEqual([media]);
    expect(attr(pointNamed(points, 'user_attributes'), 'plan').covered_by).toEqual([media]);
    expect(attr(pointNamed(points, 'user_attributes'), 'age').covered_by).toEqual([]);

    // Version 3, active in production, plans the event with more attributes and drops the user attributes.
    const v3 = await post(`${PLANS}/media/versions`, {
      version: 3,
      activated_environment: 'production',
      version_document: {
        data_points: [
          { match: { type: 'custom_event', criteria: { event_name: 'Video Played', custom_event_type: 'media' } }, validator: schema({ title: {}, seconds: {} }) },
        ],
      },
    });
    expect(v3.statusCode).toBe(200);
    points = await catalog();
    const media3 = { data_plan_id: 'media', version: 3 };
    expect(pointNamed(points, 'Video Played').attributes.filter((a) => a.covered_by.length > 0).map((a) => [a.name, a.covered_by])).toEqual([
      ['seconds', [media3]],
      ['title', [media3]],
    ]);
    expect(pointNamed(points, 'user_attributes').covered_by).toEqual([]);
    for (const id of ['media', 'screens']) expect((await q.app.inject({ method: 'DELETE', url: `${PLANS}/${id}`, headers: { authorization: bearer } })).statusCode).toBe(204);
    expect((await catalog()).every((p) => p.covered_by.length === 0)).toBe(true);
  });

  it('401 without a valid Bearer token, before looking at the query', async () => {
    for (const auth of [null, 'Bearer nope', 'Basic abc']) {
      for (const url of [CATALOG, `${CATALOG}?category=nope`, `${CATALOG}/plan-draft`]) {
        const res = await get(url, auth);
        expect(res.statusCode).toBe(401);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
        expect(res.json().errors[0]).toMatchObject({ code: 'UNAUTHORIZED' });
      }
    }
  });

  it("403 for a workspace not of the token's organisation, or none", async () => {
    for (const ws of [77, 12345]) {
      for (const path of ['catalog', 'catalog/plan-draft']) {
        const res = await get(`/platform/v2/workspaces/${ws}/${path}`);
        expect(res.statusCode).toBe(403);
        expect(res.json().errors[0]).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining(`Workspace ${ws}`) });
      }
    }
  });

  it.each([
    ['?category=nope', /^category must be one of: custom_events, screen_views, commerce, user_information, application_lifecycle, other\.$/],
    ['?environment=staging', /^environment must be one of: production, development, unknown\.$/],
    ['?colour=red', /^Unknown query parameter colour; use category, search, environment, seen_after, seen_before\.$/],
    ['?seen_after=yesterday', /^seen_after must be an ISO 8601 date/],
    ['?seen_after=2024-05-02&seen_before=2024-05-01', /^seen_before must be later than seen_after\.$/],
  ])('400 for %s', async (query, message) => {
    for (const path of [CATALOG, `${CATALOG}/plan-draft`]) {
      const res = await get(`${path}${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ errors: [{ code: 'BAD_REQUEST', message: expect.stringMatching(message) }] });
    }
  });
});

describe('GET /platform/v2/workspaces/{workspaceId}/catalog/plan-draft', () => {
  it('drafts a plan the Data Planning API accepts and that passes the traffic it was drafted from', async () => {
    const res = await get(`${CATALOG}/plan-draft`);
    expect(res.statusCode).toBe(200);
    const draft = res.json() as { data_points: { match: { type: string } }[] };
    expect(draft.data_points.map((p) => p.match.type)).toEqual([
      'custom_event',
      'product_action',
      'screen_view',
      'screen_view',
      'user_attributes',
      'user_identities',
    ]);
    const created = await post(PLANS, {
      data_plan_id: 'drafted',
      data_plan_name: 'Drafted',
      data_plan_versions: [{ version: 1, activated_environment: 'none', version_document: draft }],
    });
    expect(created.statusCode).toBe(200);
    expect(created.json().data_plan_versions[0].version_document).toEqual(draft);
    const planned = batches.map((b) => ({ ...b, events: b.events.filter((e) => e.event_type !== 'push_registration') }));
    for (const batch of planned) {
      const validated = await post(`${PLANS}/validate`, { document: draft, batch });
      expect(validated.statusCode).toBe(200);
      expect(validated.json()).toEqual({ results: [] });
    }
    const unplanned = await post(`${PLANS}/validate`, { document: draft, batch: { events: [video({ title: 'x', colour: 'red' })] } });
    expect(unplanned.json().results[0].data.validation_errors).toEqual([expect.objectContaining({ validation_error_type: 'unplanned', key: 'colour' })]);
  });

  it('drafts only the data points the filters let through', async () => {
    const draft = (await get(`${CATALOG}/plan-draft?category=screen_views&environment=development`)).json();
    expect(draft).toEqual({
      data_points: [
        {
          match: { type: 'screen_view', criteria: { screen_name: 'Settings' } },
          validator: {
            type: 'json_schema',
            definition: {
              type: 'object',
              properties: { data: { type: 'object', additionalProperties: true, properties: { custom_attributes: { type: 'object', additionalProperties: false, properties: {} } } } },
            },
          },
        },
      ],
    });
  });
});

describe('OpenAPI', () => {
  it('documents both routes with their responses', async () => {
    const doc = (await q.app.inject('/openapi.json')).json() as { paths: Record<string, { get: { responses: Record<string, unknown>; parameters: { name: string }[] } }> };
    for (const path of ['/platform/v2/workspaces/{workspaceId}/catalog', '/platform/v2/workspaces/{workspaceId}/catalog/plan-draft']) {
      const op = doc.paths[path]!.get;
      expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403']);
      expect(op.parameters.map((p) => p.name).sort()).toEqual(['category', 'environment', 'search', 'seen_after', 'seen_before', 'workspaceId']);
    }
    const listed = JSON.stringify(doc.paths['/platform/v2/workspaces/{workspaceId}/catalog']!.get.responses['200']);
    for (const field of ['data_points', 'covered_by', 'first_seen', 'examples', 'string-list']) expect(listed).toContain(field);
  });
});
