/** OpenAPI schemas of the Platform API v1 accounts, workspaces and User Insights, for `/openapi.json`. */
import { accountIdParam, workspaceIdParam } from '../server/path-params.ts';
export { errors, noContent } from '../server/error-body.schema.ts';
export { accountQuery } from '../server/path-params.ts';

const id = { type: 'integer', minimum: 1 } as const;
const text = { type: 'string' } as const;

/** A v1 answer's schema: `{"data": [item], "dataType", "errors": null}`, with an example. */
export const v1List = (dataType: string, item: object, example: object) => ({
  type: 'object',
  properties: { data: { type: 'array', items: item }, dataType: { type: 'string', examples: [dataType] }, errors: { nullable: true } },
  examples: [{ data: [example], dataType, errors: null }],
});

export const accountParams = { type: 'object', required: ['id'], properties: { id: { ...accountIdParam, description: 'The account', examples: [1] } } };
export const workspaceParams = { type: 'object', required: ['workspaceId'], properties: { workspaceId: { ...workspaceIdParam, description: 'The workspace', examples: [1] } } };

export const nameBodySchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', description: 'The display name (unique, any case)' } },
  examples: [{ name: 'Staging' }],
};

export const accountListSchema = v1List(
  'account',
  { type: 'object', properties: { name: text, last_modified_on: text, data_type: text, id, created_on: text } },
  { name: 'My Account', last_modified_on: '2026-11-14T22:46:38.673', data_type: 'account', id: 1, created_on: '2026-07-23T18:49:38.547' },
);

export const workspaceListSchema = v1List(
  'workspace',
  { type: 'object', properties: { id: { type: 'string', description: 'The workspace id, as a string (as mParticle lists it)' }, name: text, data_type: text, created_on: text } },
  { id: '1', name: 'Workspace 1', data_type: 'workspace', created_on: '2026-02-02T11:20:23.000' },
);

export const insightsQuery = {
  type: 'object',
  properties: {
    accountId: { ...accountIdParam, description: "The workspace's account (required)", examples: [1] },
    applicationid: { ...id, description: 'Report on this app (its platforms) only' },
    feedid: { ...id, description: 'Report on this partner feed only' },
  },
};

const nullableText = { type: 'string', nullable: true } as const;
export const insightsSchema = v1List(
  'user_insights',
  {
    type: 'object',
    properties: {
      data_type: text,
      report_calculation_time: text,
      application_id: { ...id, nullable: true },
      feed_id: { ...id, nullable: true },
      app_unique_user_count: { type: 'string', description: 'Users with a batch in the event store' },
      app_session_count: { type: 'string', description: 'Their session_start events' },
      app_median_session_length: { type: 'number', nullable: true, description: 'Not computed by Quanta: null' },
      app_revenue: { type: 'number', nullable: true, description: 'Not computed by Quanta: null' },
      app_event_count: nullableText,
      report_rows: { type: 'array', description: 'Audience overlaps and lifts: not computed by Quanta, empty', items: { type: 'object' } },
    },
  },
  {
    data_type: 'user_insights',
    report_calculation_time: '2026-03-03T15:47:48Z',
    application_id: 1,
    feed_id: null,
    app_unique_user_count: '66035',
    app_session_count: '1204',
    app_median_session_length: null,
    app_revenue: null,
    app_event_count: '250311',
    report_rows: [],
  },
);
