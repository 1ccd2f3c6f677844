import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceId } from '../../kernel/ids.ts';
import type { Quanta } from '../../main.ts';
import { API_KEY, quantaApp } from '../../../test/helpers/quanta-app.ts';

const ws = workspaceId(1);
let q: Quanta;

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
});
afterAll(async () => {
  await q.close();
});

const pixel = (query: string, headers: Record<string, string> = {}) => q.app.inject({ method: 'GET', url: `/pixel/v1/${API_KEY}/Pixel?${query}`, headers });

async function stored() {
  await q.processor.caughtUp();
  return q.use('events').list({ workspaceId: ws }, 1000);
}

describe('pixel service', () => {
  it('turns the reference example into a development custom event', async () => {
    const res = await pixel('ct=1700000000000&dbg=true&n=Custom%20Pixel%20Event&dt=AppEvent&et=Unknown', { 'user-agent': 'Mail/1.0' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    const e = (await stored()).find((x) => x.eventName === 'Custom Pixel Event')!;
    expect(e).toMatchObject({ eventType: 'custom_event', customEventType: 'unknown', environment: 'development', timestampMs: 1700000000000, platform: 'web' });
    expect(e.deviceInfo).toMatchObject({ http_header_user_agent: 'Mail/1.0' });
  });

  it('maps AMP page views with attributes, user attributes and identities, and answers an image to <img>', async () => {
    const query = [
      'dt=ScreenView',
      'n=Article',
      'hn=https%3A%2F%2Fexample.com%2Fa',
      'ttl=A%20title',
      'et=Navigation',
      'amp_id=amp-123',
      'attrs_k=section,author',
      'attrs_v=news,ada',
      'ua_k=plan',
      'ua_v=gold',
      'ui_t=email',
      'ui_v=amp%40example.com',
      'lc=40.7,-74.0',
      'av=1.2.3',
    ].join('&');
    const res = await pixel(query, { accept: 'image/avif,image/webp,*/*' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/gif');
    const e = (await stored()).find((x) => x.eventName === 'Article')!;
    expect(e.eventType).toBe('screen_view');
    expect(e.data).toMatchObject({
      custom_attributes: { section: 'news', author: 'ada', url: 'https://example.com/a', title: 'A title' },
      location: { latitude: 40.7, longitude: -74 },
    });
    expect(e.userAttributes).toEqual({ plan: 'gold' });
    expect(e.userIdentities).toEqual({ email: 'amp@example.com' });
    expect(e.applicationInfo).toEqual({ application_version: '1.2.3' });
  });

  const bad: [string, () => ReturnType<typeof pixel>, number, RegExp][] = [
    ['an unknown key', () => q.app.inject({ method: 'GET', url: '/pixel/v1/nope/Pixel?n=x' }), 401, /key in the path/],
    ['no name', () => pixel('dt=AppEvent'), 400, /n parameter/],
    ['an unknown message type', () => pixel('n=x&dt=Commerce'), 400, /dt=Commerce/],
    ['an unknown event type', () => pixel('n=x&et=Dancing'), 400, /et=Dancing/],
    ['a bad time', () => pixel('n=x&ct=yesterday'), 400, /ct must be/],
    ['malformed consent', () => pixel('n=x&consent_state=%7Bnope'), 400, /consent_state/],
    ['an unknown identity type', () => pixel('n=x&ui_t=shoe&ui_v=42'), 400, /not a user identity type/],
  ];

  it.each(bad)('answers %s with a clear error and stores nothing', async (_name, send, status, message) => {
    const before = (await stored()).length;
    const res = await send();
    expect(res.statusCode).toBe(status);
    expect(res.json().errors.map((e: { message: string }) => e.message).join(' | ')).toMatch(message);
    expect((await stored()).length).toBe(before);
  });
});
