import { describe, expect, it } from 'vitest';
import { workspaceId } from '../kernel/ids.ts';
import { idsyncRequest, testGraph } from '../../test/helpers/identity-graph.ts';
import type { IdentityType } from './identity-types.ts';
import {
  BEST_MATCH_DEFAULT,
  DEFAULT_STRATEGY,
  type IdentityStrategy,
  PROFILE_ISOLATION_DEFAULT,
  PROFILE_LINK_DEFAULT,
  type StrategyName,
  STRATEGY_PRESETS,
} from './strategy.ts';

const ws = workspaceId(1);
const graph = testGraph;
const req = idsyncRequest;

/** The identity priority the link, isolation and conversion guides use in their examples. */
const guidePriority: IdentityType[] = ['customer_id', 'email', 'ios_idfv', 'roku_aid'];
const link: IdentityStrategy = { ...PROFILE_LINK_DEFAULT, priority: guidePriority };
const isolation: IdentityStrategy = { ...PROFILE_ISOLATION_DEFAULT, priority: guidePriority };
const bestMatch: IdentityStrategy = { ...BEST_MATCH_DEFAULT, priority: ['email', 'ios_idfv', 'android_uuid'] };

const known1 = { customer_id: 'ABC123', email: 'ed.hyde@example.com', ios_idfv: '9876' };
const emailChange = [{ type: 'email' as const, oldValue: 'ed.hyde@example.com', newValue: 'h.jekyll.md@example.com' }];

describe('profile link, as its guide walks through it', () => {
  it('gives a new known user a new profile, each logout a new anonymous one, and the known one on every device', async () => {
    const { g } = await graph(link);
    // First app launch: profile 1 (anonymous).
    const p1 = await g.resolve(ws, req('identify', { ios_idfv: '9876' }));
    expect(p1).toMatchObject({ created: true, isLoggedIn: false, matched: {} });
    // The user logs in: profile 2 (known), its source the anonymous profile 1, which is left as it was.
    const p2 = await g.resolve(ws, req('login', known1, p1.mpid));
    expect(p2).toMatchObject({ created: true, isLoggedIn: true, matched: {}, anonymousSource: p1.mpid });
    expect(p2.mpid).not.toBe(p1.mpid);
    expect(g.record(ws, p2.mpid)!.identities).toEqual(known1);
    expect(g.record(ws, p1.mpid)!.identities).toEqual({ ios_idfv: '9876' });
    expect((await g.history(ws, p2.mpid))[0]!.reason.detail).toBe(`profile_link: a new known user gets a new profile; alias source ${p1.mpid}`);
    // The user logs out: profile 3 (anonymous), though anonymous profile 1 has the same IDFV.
    const p3 = await g.resolve(ws, req('logout', { ios_idfv: '9876' }, p2.mpid));
    expect(p3).toMatchObject({ created: true, isLoggedIn: false });
    expect([p1.mpid, p2.mpid]).not.toContain(p3.mpid);
    expect(g.record(ws, p3.mpid)!.identities).toEqual({ ios_idfv: '9876' });
    // A feed brings an unknown email: profile 4.
    const p4 = await g.resolve(ws, req('events', { email: 'h.jekyll.md@example.com' }));
    expect(p4.created).toBe(true);
    // The returning user logs in: profile 2.
    const back = await g.resolve(ws, req('login', known1, p3.mpid));
    expect(back).toEqual({ mpid: p2.mpid, created: false, isLoggedIn: true, matched: known1 });
    // The user changes their email to the support address: email is unique, profile 4 is orphaned.
    await g.modify(ws, p2.mpid, emailChange, null);
    expect(g.record(ws, p2.mpid)!.identities.email).toBe('h.jekyll.md@example.com');
    expect(g.record(ws, p4.mpid)!.identities).toEqual({});
    // New device: profile 5 (anonymous); logging in there returns profile 2, which gains the Roku id.
    const p5 = await g.resolve(ws, req('identify', { roku_aid: '8765' }));
    expect(p5.created).toBe(true);
    const onRoku = await g.resolve(ws, req('login', { customer_id: 'ABC123', email: 'h.jekyll.md@example.com', roku_aid: '8765' }, p5.mpid));
    expect(onRoku).toMatchObject({ mpid: p2.mpid, created: false, isLoggedIn: true });
    expect(onRoku.anonymousSource).toBeUndefined();
    expect(g.record(ws, p2.mpid)!.identities).toEqual({ customer_id: 'ABC123', email: 'h.jekyll.md@example.com', ios_idfv: '9876', roku_aid: '8765' });
  });

  it('creates a new profile for an identify or feed with an unseen login id too; search finds none (user data guide: "identification request")', async () => {
    const { g } = await graph(link);
    const anon = await g.resolve(ws, req('identify', { ios_idfv: '9876' }));
    expect(g.search(ws, { email: 'new@example.com', ios_idfv: '9876' })).toBeUndefined();
    const viaIdentify = await g.resolve(ws, req('identify', { email: 'new@example.com', ios_idfv: '9876' }));
    const viaFeed = await g.resolve(ws, req('events', { customer_id: 'C-2', ios_idfv: '9876' }));
    expect(viaIdentify.created && viaFeed.created).toBe(true);
    expect(new Set([anon.mpid, viaIdentify.mpid, viaFeed.mpid]).size).toBe(3);
    expect(g.record(ws, anon.mpid)!.identities).toEqual({ ios_idfv: '9876' });
  });

  it('names no alias source when the login has no anonymous previous_mpid (guide silent: the source is the previous_mpid only)', async () => {
    const { g } = await graph(link);
    const known = await g.resolve(ws, req('login', { customer_id: 'A' }));
    const other = await g.resolve(ws, req('login', { customer_id: 'B' }, known.mpid));
    expect(other.created).toBe(true);
    expect(other.anonymousSource).toBeUndefined();
  });
});

describe('profile isolation, as its guide walks through it', () => {
  it('gives a new known user a new profile without anonymous data, and returns to the anonymous profile on logout', async () => {
    const { g } = await graph(isolation);
    // First app launch: profile 1 (anonymous).
    const p1 = await g.resolve(ws, req('identify', { ios_idfv: '9876' }));
    // The user logs in: profile 2 (known); profile 1 is neither converted nor named as a source.
    const p2 = await g.resolve(ws, req('login', known1, p1.mpid));
    expect(p2).toEqual({ mpid: p2.mpid, created: true, isLoggedIn: true, matched: {} });
    expect(p2.mpid).not.toBe(p1.mpid);
    expect(g.record(ws, p2.mpid)!.identities).toEqual(known1);
    expect(g.record(ws, p1.mpid)!.identities).toEqual({ ios_idfv: '9876' });
    // The user logs out: back to the existing anonymous profile 1.
    const out = await g.resolve(ws, req('logout', { ios_idfv: '9876' }, p2.mpid));
    expect(out).toEqual({ mpid: p1.mpid, created: false, isLoggedIn: false, matched: { ios_idfv: '9876' } });
    // A feed brings an unknown email: profile 3.
    const p3 = await g.resolve(ws, req('events', { email: 'h.jekyll.md@example.com' }));
    expect(p3.created).toBe(true);
    // The returning user logs in from profile 1: profile 2.
    expect(await g.resolve(ws, req('login', known1, p1.mpid))).toEqual({ mpid: p2.mpid, created: false, isLoggedIn: true, matched: known1 });
    // The user changes their email to the support address: email is unique, profile 3 is orphaned.
    await g.modify(ws, p2.mpid, emailChange, null);
    expect(g.record(ws, p2.mpid)!.identities.email).toBe('h.jekyll.md@example.com');
    expect(g.record(ws, p3.mpid)!.identities).toEqual({});
    // New device: profile 4 (anonymous); logging in there returns profile 2, which gains the Roku id.
    const p4 = await g.resolve(ws, req('identify', { roku_aid: '8765' }));
    expect(p4.created).toBe(true);
    const onRoku = await g.resolve(ws, req('login', { customer_id: 'ABC123', email: 'h.jekyll.md@example.com', roku_aid: '8765' }, p4.mpid));
    expect(onRoku).toMatchObject({ mpid: p2.mpid, created: false, isLoggedIn: true });
    expect(g.record(ws, p2.mpid)!.identities).toEqual({ customer_id: 'ABC123', email: 'h.jekyll.md@example.com', ios_idfv: '9876', roku_aid: '8765' });
  });

  it('creates an anonymous profile at logout when the device has none (guide silent: nothing to return to)', async () => {
    const { g } = await graph(isolation);
    const known = await g.resolve(ws, req('login', { customer_id: 'ABC123', ios_idfv: '1' }));
    const out = await g.resolve(ws, req('logout', { ios_idfv: '1' }, known.mpid));
    expect(out).toMatchObject({ created: true, isLoggedIn: false });
    expect(g.record(ws, out.mpid)!.identities).toEqual({ ios_idfv: '1' });
  });
});

describe('best match, as its guide walks through it', () => {
  it('matches by priority, keeps every value it is given as a lookup, and shares a device between users', async () => {
    const { g } = await graph(bestMatch);
    // First app launch: profile 1.
    const p1 = await g.resolve(ws, req('identify', { ios_idfv: '9876' }));
    // The user provides an email: added to profile 1.
    expect(await g.resolve(ws, req('identify', { email: 'ed.hyde@example.com', ios_idfv: '9876' }))).toEqual({
      mpid: p1.mpid,
      created: false,
      isLoggedIn: false,
      matched: { ios_idfv: '9876' },
    });
    // The user changes their email: modify replaces it.
    await g.modify(ws, p1.mpid, [{ type: 'email', oldValue: 'ed.hyde@example.com', newValue: 'h.jekyll.md@example.com' }], null);
    expect(g.record(ws, p1.mpid)!.identities).toEqual({ ios_idfv: '9876', email: 'h.jekyll.md@example.com' });
    expect(g.search(ws, { email: 'ed.hyde@example.com' })).toBeUndefined();
    // A second user gives an email on the same device: profile 1 now has two email lookups
    // (the record shows the newest, guide silent on which).
    expect((await g.resolve(ws, req('identify', { email: 'poole@example.com', ios_idfv: '9876' }))).mpid).toBe(p1.mpid);
    expect(g.record(ws, p1.mpid)!.identities.email).toBe('poole@example.com');
    expect(g.search(ws, { email: 'h.jekyll.md@example.com' })?.mpid).toBe(p1.mpid);
    expect(g.search(ws, { email: 'poole@example.com' })?.mpid).toBe(p1.mpid);
    // The second user on a new device: profile 2.
    const p2 = await g.resolve(ws, req('identify', { android_uuid: '8765' }));
    expect(p2.created).toBe(true);
    // Their email ranks above the Android id: back to profile 1, which gains the Android id.
    const withEmail = await g.resolve(ws, req('identify', { android_uuid: '8765', email: 'poole@example.com' }));
    expect(withEmail).toEqual({ mpid: p1.mpid, created: false, isLoggedIn: false, matched: { email: 'poole@example.com' } });
    expect(g.record(ws, p1.mpid)!.identities).toEqual({ ios_idfv: '9876', email: 'poole@example.com', android_uuid: '8765' });
    expect(g.search(ws, { email: 'h.jekyll.md@example.com' })?.mpid).toBe(p1.mpid);
    expect(g.record(ws, p2.mpid)!.identities).toEqual({ android_uuid: '8765' });
  });

  it('keeps earlier lookups across a restart (rebuilt from the history; a record stores current values only)', async () => {
    const { g, file, close } = await graph(bestMatch);
    const p = await g.resolve(ws, req('identify', { email: 'a@example.com', ios_idfv: '1' }));
    await g.resolve(ws, req('identify', { email: 'b@example.com', ios_idfv: '1' }));
    await g.resolve(ws, req('identify', { email: 'c@example.com', ios_idfv: '1' }));
    await g.modify(ws, p.mpid, [{ type: 'email', oldValue: 'a@example.com', newValue: 'a2@example.com' }], null);
    await g.modify(ws, p.mpid, [{ type: 'email', oldValue: 'b@example.com', newValue: null }], null);
    await close();
    const { g: again } = await graph(bestMatch, file);
    for (const email of ['a2@example.com', 'c@example.com']) expect(again.search(ws, { email })?.mpid).toBe(p.mpid);
    for (const email of ['a@example.com', 'b@example.com']) expect(again.search(ws, { email })).toBeUndefined();
    expect(again.record(ws, p.mpid)!.identities.email).toBe('c@example.com');
  });

  it('ignores configured login and unique ids (guide: best match has none): no protection, no moves, never logged in', async () => {
    const { g } = await graph({ ...bestMatch, priority: ['customer_id', ...bestMatch.priority], loginIds: new Set(['customer_id']), uniqueIds: new Set(['email']) });
    const p1 = await g.resolve(ws, req('identify', { customer_id: 'c1', email: 'shared@example.com', ios_idfv: '1' }));
    const byDevice = await g.resolve(ws, req('identify', { ios_idfv: '1' }));
    expect(byDevice).toMatchObject({ mpid: p1.mpid, isLoggedIn: false });
    const p2 = await g.resolve(ws, req('identify', { android_uuid: '2' }));
    await g.modify(ws, p2.mpid, [{ type: 'email', oldValue: null, newValue: 'shared@example.com' }], null);
    expect(g.record(ws, p1.mpid)!.identities.email).toBe('shared@example.com');
  });

  it('answers login and logout as identify and ignores previous_mpid (guide silent: best match has no login flow)', async () => {
    const { g } = await graph(bestMatch);
    const device = await g.resolve(ws, req('identify', { ios_idfv: '1' }));
    const login = await g.resolve(ws, req('login', { email: 'x@example.com' }, device.mpid));
    expect(login).toMatchObject({ created: true, isLoggedIn: false });
    expect(g.record(ws, device.mpid)!.identities).toEqual({ ios_idfv: '1' });
    expect(await g.resolve(ws, req('logout', { ios_idfv: '1' }, login.mpid))).toMatchObject({ mpid: device.mpid, created: false });
  });

  it('modify changes the named earlier value in place; removing the current value makes the latest earlier one current (guide silent)', async () => {
    const { g } = await graph(bestMatch);
    const p = await g.resolve(ws, req('identify', { email: 'a@example.com', ios_idfv: '1' }));
    await g.resolve(ws, req('identify', { email: 'b@example.com', ios_idfv: '1' }));
    await g.modify(ws, p.mpid, [{ type: 'email', oldValue: 'a@example.com', newValue: 'a2@example.com' }], null);
    expect(g.record(ws, p.mpid)!.identities.email).toBe('b@example.com');
    await g.modify(ws, p.mpid, [{ type: 'email', oldValue: 'b@example.com', newValue: null }], null);
    expect(g.record(ws, p.mpid)!.identities.email).toBe('a2@example.com');
    expect(g.search(ws, { email: 'a@example.com' })).toBeUndefined();
  });
});

describe('profile conversion, where its guide is silent', () => {
  it('returns the anonymous profile of an earlier logout at the next logout (guide silent: logout resolves like identify)', async () => {
    const { g } = await graph(DEFAULT_STRATEGY);
    const p1 = await g.resolve(ws, req('login', { customer_id: 'ABC123', ios_idfv: '9876' }));
    const first = await g.resolve(ws, req('logout', { ios_idfv: '9876' }, p1.mpid));
    await g.resolve(ws, req('login', { customer_id: 'ABC123', ios_idfv: '9876' }, first.mpid));
    const second = await g.resolve(ws, req('logout', { ios_idfv: '9876' }, p1.mpid));
    expect(first.created).toBe(true);
    expect(second).toMatchObject({ mpid: first.mpid, created: false });
  });
});

describe('On New Known User, across strategies: a login with an unseen customer id from an anonymous previous_mpid', () => {
  const outcomes: [StrategyName, 'previous' | 'new', boolean][] = [
    ['profile_conversion', 'previous', false],
    ['profile_link', 'new', true],
    ['profile_isolation', 'new', false],
    ['best_match', 'new', false],
  ];
  it.each(outcomes)('%s: the login resolves to the %s profile (alias source named: %s)', async (name, to, source) => {
    const { g } = await graph(STRATEGY_PRESETS[name]);
    const anon = await g.resolve(ws, req('identify', { other: 'cookie-1' }));
    const login = await g.resolve(ws, req('login', { customer_id: 'ABC123' }, anon.mpid));
    expect(login.mpid === anon.mpid).toBe(to === 'previous');
    expect(login.anonymousSource).toBe(source ? anon.mpid : undefined);
    expect(login.isLoggedIn).toBe(name !== 'best_match');
  });
});
