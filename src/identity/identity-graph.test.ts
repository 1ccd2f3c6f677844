import { describe, expect, it } from 'vitest';
import { workspaceId, type Mpid } from '../kernel/ids.ts';
import { idsyncRequest, testGraph } from '../../test/helpers/identity-graph.ts';
import { BEST_MATCH_DEFAULT, DEFAULT_STRATEGY, type IdentityStrategy } from './strategy.ts';

const ws = workspaceId(1);
const graph = (strategy: IdentityStrategy = DEFAULT_STRATEGY, file?: string) => testGraph(strategy, file);
const req = idsyncRequest;

describe('profile conversion (the default strategy), as its guide walks through it', () => {
  it('follows one user from first launch to a second device', async () => {
    const { g } = await graph();
    // First app launch: identify with IDFV creates profile 1.
    const p1 = await g.resolve(ws, req('identify', { ios_idfv: '9876' }));
    expect(p1).toMatchObject({ created: true, isLoggedIn: false, matched: {} });
    // The user logs in: the login id is added to the anonymous profile, no new MPID.
    const login = await g.resolve(ws, req('login', { customer_id: 'ABC123', email: 'ed.hyde@example.com', ios_idfv: '9876' }, p1.mpid));
    expect(login).toMatchObject({ mpid: p1.mpid, created: false, isLoggedIn: true, matched: { ios_idfv: '9876' } });
    expect(g.record(ws, p1.mpid)!.identities).toEqual({ customer_id: 'ABC123', email: 'ed.hyde@example.com', ios_idfv: '9876' });
    // The user logs out: profile 1 has a login id the request lacks, so a new profile 2.
    const p2 = await g.resolve(ws, req('logout', { ios_idfv: '9876' }, p1.mpid));
    expect(p2.created).toBe(true);
    expect(p2.mpid).not.toBe(p1.mpid);
    expect(p2.isLoggedIn).toBe(false);
    // A feed brings an unknown email: profile 3.
    const p3 = await g.resolve(ws, { ...req('identify', { email: 'h.jekyll.md@example.com' }), source: 'events_api', operation: 'events' });
    expect(p3.created).toBe(true);
    // The returning user logs in again: profile 1.
    const back = await g.resolve(ws, req('login', { customer_id: 'ABC123', email: 'ed.hyde@example.com', ios_idfv: '9876' }, p2.mpid));
    expect(back).toMatchObject({ mpid: p1.mpid, created: false, isLoggedIn: true });
    // The user changes their email (not unique by default: profile 3 keeps its own).
    expect(await g.modify(ws, p1.mpid, [{ type: 'email', oldValue: 'ed.hyde@example.com', newValue: 'h.jekyll.md@example.com' }], null)).toBe(true);
    expect(g.record(ws, p1.mpid)!.identities.email).toBe('h.jekyll.md@example.com');
    // A new device: identify with a Roku id creates profile 4; logging in there returns profile 1.
    const p4 = await g.resolve(ws, req('identify', { roku_aid: '8765' }));
    expect(p4.created).toBe(true);
    const onRoku = await g.resolve(ws, req('login', { customer_id: 'ABC123', email: 'h.jekyll.md@example.com', roku_aid: '8765' }, p4.mpid));
    expect(onRoku.mpid).toBe(p1.mpid);
    expect(g.record(ws, p1.mpid)!.identities).toEqual({
      customer_id: 'ABC123',
      email: 'h.jekyll.md@example.com',
      ios_idfv: '9876',
      roku_aid: '8765',
    });
  });
});

describe('login ids protect known profiles (Store and Organize User Data guide)', () => {
  const emailLogin: IdentityStrategy = { ...DEFAULT_STRATEGY, loginIds: new Set(['email']), uniqueIds: new Set() };

  it('returns a known profile only to a request that matches one of its login ids', async () => {
    const { g } = await graph(emailLogin);
    const p1 = await g.resolve(ws, req('identify', { customer_id: 'h.jekyll.85', email: 'ed.hyde@example.com', ios_idfv: '1234' }));
    const p2 = await g.resolve(ws, req('identify', { email: 'h.jekyll.md@example.com' }));
    expect((await g.resolve(ws, req('identify', { email: 'ed.hyde@example.com' }))).mpid).toBe(p1.mpid);
    expect((await g.resolve(ws, req('identify', { email: 'h.jekyll.md@example.com', ios_idfv: '5678' }))).mpid).toBe(p2.mpid);
    const p3 = await g.resolve(ws, req('identify', { ios_idfv: '1234' }));
    expect(p3.created).toBe(true);
    expect([p1.mpid, p2.mpid]).not.toContain(p3.mpid);
  });

  it('search finds without creating, and says so when nothing matches', async () => {
    const { g } = await graph();
    const p1 = await g.resolve(ws, req('identify', { customer_id: 'h.jekyll.85', email: 'ed.hyde@example.com' }));
    expect(g.search(ws, { customer_id: 'h.jekyll.85' })).toEqual({ mpid: p1.mpid, matched: { customer_id: 'h.jekyll.85' } });
    expect(g.search(ws, { email: 'ed.hyde@example.com' })).toBeUndefined();
    expect(g.search(ws, { customer_id: '9101' })).toBeUndefined();
    expect(g.size).toBe(1);
  });
});

describe('unique ids', () => {
  it('move to the profile a modify gives them, orphaning the profile that had only that id', async () => {
    const uniqueEmail: IdentityStrategy = { ...DEFAULT_STRATEGY, uniqueIds: new Set(['customer_id', 'email']) };
    const { g } = await graph(uniqueEmail);
    const p1 = await g.resolve(ws, req('identify', { customer_id: 'h.jekyll.85', email: 'ed.hyde@example.com', ios_idfv: '1234' }));
    const p2 = await g.resolve(ws, req('identify', { email: 'h.jekyll.md@example.com' }));
    await g.modify(ws, p1.mpid, [{ type: 'email', oldValue: 'ed.hyde@example.com', newValue: 'h.jekyll.md@example.com' }], 'req-9');
    expect(g.record(ws, p1.mpid)!.identities.email).toBe('h.jekyll.md@example.com');
    expect(g.record(ws, p2.mpid)!.identities).toEqual({});
    const why = await g.history(ws, p2.mpid);
    expect(why.at(-1)).toMatchObject({
      action: 'identity_removed',
      type: 'email',
      previousValue: 'h.jekyll.md@example.com',
      reason: { operation: 'modify', detail: `unique identity moved to ${p1.mpid}`, requestId: 'req-9' },
    });
  });

  it('modify removes an identity with a null new value and refuses an unknown mpid', async () => {
    const { g } = await graph();
    const p = await g.resolve(ws, req('identify', { email: 'a@b.c', ios_idfv: 'v' }));
    await g.modify(ws, p.mpid, [{ type: 'ios_idfv', oldValue: 'v', newValue: null }], null);
    expect(g.record(ws, p.mpid)!.identities).toEqual({ email: 'a@b.c' });
    expect(await g.modify(ws, '42' as Mpid, [{ type: 'email', oldValue: null, newValue: 'x@y.z' }], null)).toBe(false);
    expect(g.size).toBe(1);
  });
});

describe('identity priority (Components of IDSync guide)', () => {
  it('breaks a tie with the next identity in priority order', async () => {
    const noLogin: IdentityStrategy = { ...DEFAULT_STRATEGY, loginIds: new Set(), uniqueIds: new Set() };
    const { g } = await graph({ ...noLogin, priority: ['customer_id', 'email', 'other', 'ios_idfv', 'android_aaid'] });
    const p1 = await g.resolve(ws, req('identify', { email: 'h.jekyll.md@example.com', ios_idfv: '1234', other: 'AAAA' }));
    const p2 = await g.resolve(ws, req('identify', { android_aaid: '2345', other: 'BBBB' }));
    await g.modify(ws, p2.mpid, [{ type: 'email', oldValue: null, newValue: 'h.jekyll.md@example.com' }], null);
    expect((await g.resolve(ws, req('identify', { email: 'h.jekyll.md@example.com', other: 'AAAA', ios_idfv: '2345' }))).mpid).toBe(p1.mpid);
    expect((await g.resolve(ws, req('identify', { email: 'h.jekyll.md@example.com', android_aaid: '2345' }))).mpid).toBe(p2.mpid);
  });
});

describe('the graph', () => {
  it('gives two concurrent logins of one new customer one MPID', async () => {
    const { g } = await graph();
    const [a, b] = await Promise.all([
      g.resolve(ws, req('login', { customer_id: 'new-1', ios_idfv: 'd1' })),
      g.resolve(ws, req('login', { customer_id: 'new-1', ios_idfv: 'd2' })),
    ]);
    expect(a.mpid).toBe(b.mpid);
    expect(g.size).toBe(1);
  });

  it('survives a restart: the records come back from the store', async () => {
    const { g, file, close } = await graph();
    const p = await g.resolve(ws, req('identify', { customer_id: 'c-9', email: 'c9@example.com' }));
    await close();
    const { g: again } = await graph(DEFAULT_STRATEGY, file);
    expect((await again.resolve(ws, req('identify', { customer_id: 'c-9' }))).mpid).toBe(p.mpid);
    expect(again.record(ws, p.mpid)!.identities).toEqual({ customer_id: 'c-9', email: 'c9@example.com' });
  });

  it('explains every change with its operation, strategy and match', async () => {
    const { g } = await graph();
    const p = await g.resolve(ws, req('identify', { ios_idfv: 'v1' }));
    await g.resolve(ws, req('login', { customer_id: 'c1', ios_idfv: 'v1' }));
    const history = await g.history(ws, p.mpid);
    expect(history.map((e) => [e.action, e.type, e.value, e.reason.operation])).toEqual([
      ['created', null, null, 'identify'],
      ['identity_added', 'ios_idfv', 'v1', 'identify'],
      ['identity_added', 'customer_id', 'c1', 'login'],
    ]);
    expect(history[2]!.reason).toMatchObject({ strategy: 'profile_conversion', matchedBy: { type: 'ios_idfv', value: 'v1' } });
  });

  it('erases users: no lookup finds them (best match\'s earlier values included), the store forgets them, others stay', async () => {
    const { g, file, close } = await graph(BEST_MATCH_DEFAULT);
    const gone = await g.resolve(ws, req('identify', { email: 'old@example.com' }));
    await g.attach(ws, gone.mpid, { email: 'new@example.com', customer_id: 'c-gone' }, 'events_api');
    const alsoGone = await g.resolve(ws, req('identify', { customer_id: 'c-also' }));
    const stays = await g.resolve(ws, req('identify', { customer_id: 'c-stays' }));
    const unknown = '77' as Mpid;
    expect(g.search(ws, { email: 'old@example.com' })?.mpid).toBe(gone.mpid);
    expect(await g.eraseUsers(ws, [gone.mpid, unknown, alsoGone.mpid])).toBeGreaterThan(0);
    for (const erased of [gone.mpid, alsoGone.mpid]) expect(g.record(ws, erased)).toBeUndefined();
    for (const erased of [gone.mpid, alsoGone.mpid, unknown]) expect(g.isErased(ws, erased)).toBe(true);
    const known = [{ email: 'old@example.com' }, { email: 'new@example.com' }, { customer_id: 'c-gone' }, { customer_id: 'c-also' }];
    for (const identities of known) expect(g.search(ws, identities)).toBeUndefined();
    expect(g.search(ws, { customer_id: 'c-stays' })?.mpid).toBe(stays.mpid);
    expect(await g.eraseUsers(ws, [gone.mpid, alsoGone.mpid])).toBe(0);
    await close();
    const { g: again } = await graph(BEST_MATCH_DEFAULT, file);
    expect(again.record(ws, gone.mpid)).toBeUndefined();
    expect(again.size).toBe(1);
    expect(await again.history(ws, gone.mpid)).toEqual([]);
    expect(await again.history(ws, alsoGone.mpid)).toEqual([]);
    expect(again.isErased(ws, alsoGone.mpid)).toBe(true);
  });

  it('attaches a batch\'s identities to the mpid it names, creating the record if needed', async () => {
    const { g } = await graph();
    const mpid = '-4' as Mpid;
    await g.attach(ws, mpid, { customer_id: 'c', email: 'e@x' }, 'events_api');
    await g.attach(ws, mpid, { customer_id: 'other', push_token: 'p' }, 'events_api');
    expect(g.record(ws, mpid)!.identities).toEqual({ customer_id: 'c', email: 'e@x', push_token: 'p' });
  });
});
