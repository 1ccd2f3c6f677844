import { afterAll, beforeAll, expect } from 'vitest';
import { workspaceId } from '../../src/kernel/ids.ts';
import type { Quanta } from '../../src/main.ts';
import { bearerAuth, CLIENT_ID, quantaApp } from './quanta-app.ts';

/** What the Calculated Attributes API's route tests share: the app, the caller, definitions and helpers. */

const DAY_MS = 86_400_000;
/** A date-time `days` ago, at midnight UTC, as the Platform API's examples write them. */
export const daysAgo = (days: number) => `${new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10)}T00:00:00`;
export const SINCE = daysAgo(30);
export const BY = `client_id:${CLIENT_ID}`;
export const OTHER_WS = workspaceId(2); // of the same organisation: the caller may read it
export const FOREIGN_WS = workspaceId(77); // of another organisation
export const base = (ws: number = 1) => `/platform/v2/workspaces/${ws}/calculatedattributes`;
export const BASE = base();

export type Json = Record<string, unknown>;
export const dataPoint = { type: 'event', event_name: 'Purchase', attribute_name: 'amount', event_type: 'custom_event', custom_event_type: 'transaction' };
export const definition = (over: Json = {}): Json => ({
  recipe_type: 'event',
  datapoint: dataPoint,
  conditions: [],
  calculation_type: 'sum',
  time_period: { type: 'since', date: SINCE, within: null, within_unit: null },
  seeding: null,
  ...over,
});
/** The definition as the API answers it: normalised, under `datapoint`. */
export const answered = (over: Json = {}): Json => ({
  ...definition(over),
  datapoint: { ...dataPoint, attribute_category: 'event_attribute', use_product_quantity: false },
});

type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
export const callOn = (app: Quanta, auth: string) => (method: Method, url: string, payload?: unknown) =>
  app.app.inject({
    method,
    url,
    headers: { authorization: auth, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(payload !== undefined ? { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) } : {}),
  });

/** The app of a test file and its caller, set by {@link useCalculatedApi} before its tests run. */
export let q: Quanta;
export let bearer: string;
export let call: ReturnType<typeof callOn>;

/** Starts one Quanta for the test file (with a second workspace of the caller's organisation and one of another's), closed after it. */
export function useCalculatedApi(): void {
  beforeAll(async () => {
    q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
    q.stores.platform.saveTenant({ orgId: 1, accountId: 1, workspaceId: OTHER_WS });
    q.stores.platform.saveTenant({ orgId: 99, accountId: 99, workspaceId: FOREIGN_WS });
    bearer = await bearerAuth(q);
    call = callOn(q, bearer);
  });
  afterAll(async () => {
    await q.close();
  });
}

/** Creates an attribute through the API; answers its id. */
export async function create(body: Json): Promise<number> {
  const res = await call('POST', BASE, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as number;
}
export const get = async (id: number) => (await call('GET', `${BASE}/${id}`)).json() as Json;
export const all = async () => (await call('GET', BASE)).json() as Json[];
export const messages = (res: { json(): unknown }) => (res.json() as { errors: { message: string }[] }).errors.map((e) => e.message);
let names = 0;
export const uniqueName = (prefix = 'ca') => `${prefix} ${++names}`;
