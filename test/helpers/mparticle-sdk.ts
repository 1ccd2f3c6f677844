import { createRequire } from 'node:module';

/**
 * The real `mparticle` npm package (the mParticle Node SDK), loaded through `require` since it
 * is CommonJS without type declarations. The types below cover only what the tests use.
 */
export type Model = Record<string, unknown>;

export interface BatchModel extends Model {
  addEvent(event: Model): void;
}

/** What superagent hands the SDK's callback as `error` for a non-2xx answer. */
export interface SdkError extends Error {
  status?: number;
  response?: SdkResponse;
}

export interface SdkResponse {
  status: number;
  body: unknown;
  text: string;
}

export type SdkCallback = (error: SdkError | null, data: unknown, response: SdkResponse | undefined) => void;

export interface EventsApi {
  uploadEvents(body: BatchModel, callback: SdkCallback): unknown;
  bulkUploadEvents(body: BatchModel[], callback: SdkCallback): unknown;
}

export interface ApiClient {
  basePath: string;
  timeout: number;
}

export interface MParticleSdk {
  ApiClient: new () => ApiClient;
  Configuration: new (apiKey: string, apiSecret: string) => Model;
  EventsApi: new (configuration: Model, apiClient?: ApiClient) => EventsApi;
  Batch: (new (environment: string) => BatchModel) & { Environment: { production: string; development: string } };
  AppEvent: (new (customEventType?: string, eventName?: string) => Model) & { CustomEventType: Record<string, string> };
  ScreenViewEvent: new (screenName?: string) => Model;
  CommerceEvent: new () => Model;
  ProductAction: new (action: string, transactionId?: string, totalAmount?: number, products?: Model[]) => Model;
  Product: new (id?: string, name?: string, price?: number, totalProductAmount?: number) => Model;
  UserIdentities: new () => Model;
  DeviceInformation: (new () => Model) & { Platform: Record<string, string> };
}

const require = createRequire(import.meta.url);
export const mParticle = require('mparticle') as MParticleSdk;

/**
 * An `EventsApi` pointed at Quanta. The SDK's `ApiClient` joins `basePath` (default
 * `https://s2s.mparticle.com/v2`) with `/events` or `/bulkevents`, so the base path is `${url}/v2`.
 */
export function eventsApiFor(url: string, apiKey: string, apiSecret: string): EventsApi {
  const client = new mParticle.ApiClient();
  client.basePath = `${url}/v2`;
  client.timeout = 30_000;
  return new mParticle.EventsApi(new mParticle.Configuration(apiKey, apiSecret), client);
}

export interface SdkResult {
  error: SdkError | null;
  response: SdkResponse | undefined;
}

/** Calls the SDK and resolves with what its callback received (never rejects). */
export function call(send: (callback: SdkCallback) => unknown): Promise<SdkResult> {
  return new Promise((resolve) => {
    send((error, _data, response) => resolve({ error, response }));
  });
}
