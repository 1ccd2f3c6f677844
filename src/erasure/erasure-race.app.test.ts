import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mpid, workspaceId } from '../kernel/ids.ts';
import type { Quanta } from '../main.ts';
import { basicAuth, bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';

const ws = workspaceId(1);
let q: Quanta;
let bearer: string;

const send = (batch: unknown) =>
  q.app.inject({ method: 'POST', url: '/v2/events', headers: { authorization: basicAuth(), 'content-type': 'application/json' }, payload: JSON.stringify(batch) });
const search = async (customerId: string) => {
  const res = await q.app.inject({ method: 'POST', url: '/identity/v1/search', headers: { authorization: basicAuth() }, payload: { environment: 'production', known_identities: { customerid: customerId } } });
  return res.statusCode === 200 ? ((res.json() as { mpid: Mpid }).mpid as Mpid) : undefined;
};
const event = (n: number) => ({ event_type: 'custom_event', data: { event_name: `Race ${n}`, custom_event_type: 'other' } });

beforeAll(async () => {
  q = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
  bearer = await bearerAuth(q);
});
afterAll(async () => {
  await q?.close();
});

describe('an erasure racing new events for the same user', () => {
  it('does not resurrect the erased user; the events after it make a new user', async () => {
    for (let i = 0; i < 20; i++) expect((await send({ environment: 'production', user_identities: { customer_id: 'race-r' }, user_attributes: { n: i }, events: [event(i)] })).statusCode).toBe(202);
    await q.processor.caughtUp();
    const erased = (await search('race-r'))!;
    const other = (await (async () => {
      await send({ environment: 'production', user_identities: { customer_id: 'race-other' }, events: [event(0)] });
      await q.processor.caughtUp();
      return search('race-other');
    })())!;

    // Batches naming the user by MPID and by identity, sent all through the erasure and after it.
    let sending = true;
    let sent = 0;
    const racing = (async () => {
      for (let i = 0; sending; i++) {
        const byMpid = i % 2 === 0;
        const res = await send({ environment: 'production', ...(byMpid ? { mpid: erased } : {}), user_identities: { customer_id: 'race-r' }, user_attributes: { racing: i }, events: [event(1000 + i)] });
        expect(res.statusCode).toBe(202);
        sent++;
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    const report = await q.use('subjectEraser').erase(ws, [erased]);
    expect(report.users).toBe(1);
    const sentAtErasure = sent;
    await new Promise((r) => setTimeout(r, 100));
    sending = false;
    await racing;
    await q.processor.caughtUp();
    expect(sent).toBeGreaterThan(sentAtErasure);

    const bearerGet = (url: string) => q.app.inject({ method: 'GET', url, headers: { authorization: bearer } });
    expect((await bearerGet(`/userprofile/v1/1/1/1/${erased}?fields=user_attributes`)).statusCode).toBe(404);
    expect(await q.use('events').count({ workspaceId: ws, mpid: erased })).toBe(0);
    const log = new Database(join(q.config.dataDir, 'log.sqlite'), { readonly: true });
    const state = new Database(join(q.config.dataDir, 'state.sqlite'), { readonly: true });
    try {
      expect(log.prepare('SELECT count(*) FROM log WHERE workspace = 1 AND mpid = ?').pluck().get(erased)).toBe(0);
      expect(state.prepare('SELECT count(*) FROM profiles WHERE mpid = ?').pluck().get(erased)).toBe(0);
      expect(state.prepare('SELECT count(*) FROM identity_records WHERE mpid = ?').pluck().get(erased)).toBe(0);
    } finally {
      log.close();
      state.close();
    }
    const successor = await search('race-r');
    expect(successor).toBeDefined();
    expect(successor).not.toBe(erased);
    expect(await q.use('events').count({ workspaceId: ws, mpid: successor! })).toBeGreaterThan(0);
    expect(await q.use('events').count({ workspaceId: ws, mpid: other })).toBe(1);
  }, 60_000);
});
