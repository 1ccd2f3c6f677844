import { describe, expect, it } from 'vitest';
import { parseMpid, workspaceId, type Mpid } from '../kernel/ids.ts';
import { parseSeed } from './seeds.ts';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { all, answered, base, BASE, BY, call, callOn, create, dataPoint, daysAgo, definition, FOREIGN_WS, get, type Json, messages, OTHER_WS, q, uniqueName, useCalculatedApi } from '../../test/helpers/calculated-api.ts';

useCalculatedApi();

describe('Calculated Attributes API: activation and drafts', () => {
  it('moves the draft into the active definition and bumps the revision; answers the activation status', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    expect((await call('GET', `${BASE}/${id}/activation`)).json()).toEqual({ calculated_attribute_id: id, is_active: false, activated_on: null, activated_by: null });
    const created = await get(id);

    const res = await call('POST', `${BASE}/${id}/activation`);
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    const active = await get(id);
    expect(active).toMatchObject({ active_definition: answered(), draft_definition: null, activated_by: BY });
    // Activation is not a modification.
    expect(active.last_modified_on).toBe(created.last_modified_on);
    expect(Date.parse(active.activated_on as string)).toBeGreaterThan(Date.now() - 60_000);
    expect((await q.stores.calculated.get(workspaceId(1), id))!.revision).toBe(1);
    expect((await call('GET', `${BASE}/${id}/activation`)).json()).toEqual({
      calculated_attribute_id: id,
      is_active: true,
      activated_on: active.activated_on,
      activated_by: BY,
    });

    const again = await call('POST', `${BASE}/${id}/activation`);
    expect(again.statusCode).toBe(400);
    expect(again.headers['x-quanta-error-code']).toBe('QUANTA_CA_NO_DRAFT');
    expect(messages(again)).toEqual(['No draft definition was found to activate.']);

    await call('PUT', `${BASE}/${id}`, { name: active.name, draft_definition: definition({ calculation_type: 'count', datapoint: { ...dataPoint, attribute_name: null } }) });
    expect((await call('POST', `${BASE}/${id}/activation`)).statusCode).toBe(204);
    const stored = (await q.stores.calculated.get(workspaceId(1), id))!;
    expect(stored.revision).toBe(2);
    expect(stored.active_definition!.calculation_type).toBe('count');
    expect(stored.draft_definition).toBeNull();
  });

  it('discards the draft (204), leaving the active definition', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    const res = await call('DELETE', `${BASE}/${id}/draft`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await get(id)).toMatchObject({ draft_definition: null, active_definition: null, last_modified_by: BY });
    expect(messages(await call('POST', `${BASE}/${id}/activation`))).toEqual(['No draft definition was found to activate.']);
    // Nothing to discard is not an error.
    expect((await call('DELETE', `${BASE}/${id}/draft`)).statusCode).toBe(204);

    const active = await create({ name: uniqueName(), draft_definition: definition() });
    await call('POST', `${BASE}/${active}/activation`);
    await call('PUT', `${BASE}/${active}`, { name: (await get(active)).name, draft_definition: definition({ calculation_type: 'min' }) });
    expect((await call('DELETE', `${BASE}/${active}/draft`)).statusCode).toBe(204);
    expect(await get(active)).toMatchObject({ draft_definition: null, active_definition: answered() });
  });

  it('answers 404 for the activation, draft and calculation of an unknown id', async () => {
    for (const [method, path] of [
      ['POST', 'activation'],
      ['GET', 'activation'],
      ['DELETE', 'draft'],
      ['GET', 'calculation'],
    ] as const) {
      const res = await call(method, `${BASE}/987654/${path}`);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(messages(res)).toEqual(['Calculated attribute 987654 was not found in workspace 1.']);
    }
  });

  it('refuses to activate past the limit of active attributes (QUANTA_CA_MAX_ACTIVE)', async () => {
    const limited = await quantaApp({ QUANTA_RATE_LIMIT: '0', QUANTA_CA_MAX_ACTIVE: '2' });
    try {
      const c = callOn(limited, await bearerAuth(limited));
      const ids: number[] = [];
      for (const name of ['one', 'two', 'three']) ids.push((await c('POST', BASE, { name, draft_definition: definition() })).json() as number);
      const [one, two, three] = ids as [number, number, number];
      expect((await c('POST', `${BASE}/${one}/activation`)).statusCode).toBe(204);
      expect((await c('POST', `${BASE}/${two}/activation`)).statusCode).toBe(204);
      const refused = await c('POST', `${BASE}/${three}/activation`);
      expect(refused.statusCode).toBe(400);
      expect(refused.headers['x-quanta-error-code']).toBe('QUANTA_CA_ACTIVE_LIMIT');
      expect(messages(refused)).toEqual(['You have reached the account limit on active calculated attributes.']);
      expect(((await c('GET', `${BASE}/${three}`)).json() as Json).active_definition).toBeNull();

      // An active attribute activated again does not count twice.
      await c('PUT', `${BASE}/${one}`, { name: 'one', draft_definition: definition({ calculation_type: 'max' }) });
      expect((await c('POST', `${BASE}/${one}/activation`)).statusCode).toBe(204);
      // Deleting an active attribute frees its place.
      expect((await c('DELETE', `${BASE}/${two}`)).statusCode).toBe(204);
      expect((await c('POST', `${BASE}/${three}/activation`)).statusCode).toBe(204);
    } finally {
      await limited.close();
    }
  });

  it('checks the draft again at activation: one that left the retention period is not activated', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    const stored = (await q.stores.calculated.get(workspaceId(1), id))!;
    // Stored long ago: its `since` date is now before the retention period.
    const stale = { ...stored.draft_definition!, time_period: { type: 'since' as const, date: daysAgo(400), within: null, within_unit: null } };
    await q.stores.calculated.update({ ...stored, draft_definition: stale });
    const res = await call('POST', `${BASE}/${id}/activation`);
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual(['No draft definition was found to activate.', expect.stringMatching(/^'time_period\.date' must be on or after/)]);
    expect((await get(id)).active_definition).toBeNull();
  });
});

describe('Calculated Attributes API: calculation status', () => {
  it('is 0% and not calculated until the processor has started; then it follows its progress', async () => {
    const id = await create({ name: uniqueName('Calc'), draft_definition: definition() });
    const name = (await get(id)).name;
    const status = async () => {
      const res = await call('GET', `${BASE}/${id}/calculation`);
      expect(res.statusCode).toBe(200);
      return res.json() as Json;
    };
    expect(await status()).toEqual({ id, name, revision_id: null, is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });

    await call('POST', `${BASE}/${id}/activation`);
    // The processor calculates it at once (no users): the states below are written after it is done, so it never overwrites them.
    await expect.poll(async () => (await status()).is_calculated, { timeout: 15_000 }).toBe(true);

    const ws = workspaceId(1);
    const startedAtMs = Date.now() - 60_000;
    // A handover no partition reaches: a processor computing activations leaves these records alone.
    const handover = { 0: Number.MAX_SAFE_INTEGER };
    const progress = { workspaceId: ws, id, revision: 1, handover, cursor: null, startedAtMs, completedAtMs: null } as const;
    await q.stores.calculated.putCalculation({ ...progress, status: 'calculating', usersDone: 0, usersTotal: null });
    expect(await status()).toMatchObject({ revision_id: 1, is_calculated: false, calculation_percent_complete: 0, estimated_completion_time: null });

    await q.stores.calculated.putCalculation({ ...progress, status: 'calculating', usersDone: 40, usersTotal: 100 });
    const halfway = await status();
    expect(halfway).toMatchObject({ is_calculated: false, calculation_percent_complete: 40 });
    // 40 users in a minute, 60 to go: about 90 seconds from now.
    const eta = Date.parse(halfway.estimated_completion_time as string);
    expect(eta).toBeGreaterThan(Date.now() + 80_000);
    expect(eta).toBeLessThan(Date.now() + 100_000);

    const completedAtMs = Date.now() - 1_000;
    await q.stores.calculated.putCalculation({ ...progress, status: 'calculated', usersDone: 100, usersTotal: 100, completedAtMs });
    expect(await status()).toEqual({
      id,
      name,
      revision_id: 1,
      is_calculated: true,
      calculation_percent_complete: 100,
      estimated_completion_time: new Date(completedAtMs).toISOString(),
    });

    // A new activation is a new revision, calculated again.
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: definition({ calculation_type: 'max' }) });
    await call('POST', `${BASE}/${id}/activation`);
    expect(await status()).toMatchObject({ revision_id: 2, is_calculated: false, calculation_percent_complete: 0 });
  });
});

describe('Calculated Attributes API: delete and seeds', () => {
  const MPID = parseMpid('8001') as Mpid;
  const ws = workspaceId(1);
  const seed = async (id: number) => {
    const made = parseSeed('ca', 'sum', { value: 12 }, daysAgo(10));
    if (!made.ok) throw new Error(made.errors.join('; '));
    await q.stores.calculated.putSeeds(ws, [{ id, mpid: MPID, state: made.state }]);
  };
  const seeded = async (id: number) => (await q.stores.calculated.users(ws, [MPID])).get(MPID)?.seeds.has(id) ?? false;
  const cutoff = (date: string) => definition({ seeding: { cutoff_date: date } });

  it('deletes an attribute (204) with its seeds; then it is a 404', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    await seed(id);
    expect(await seeded(id)).toBe(true);
    const res = await call('DELETE', `${BASE}/${id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await seeded(id)).toBe(false);
    expect((await call('GET', `${BASE}/${id}`)).statusCode).toBe(404);
    expect((await all()).some((a) => a.id === id)).toBe(false);
    const again = await call('DELETE', `${BASE}/${id}`);
    expect(again.statusCode).toBe(404);
    expect(again.headers['x-quanta-error-code']).toBe('QUANTA_CA_NOT_FOUND');
  });

  it('keeps seeds through changes they do not depend on', async () => {
    const name = uniqueName('Seeded');
    const id = await create({ name, draft_definition: cutoff(daysAgo(10)) });
    await seed(id);
    await call('PUT', `${BASE}/${id}`, { name, description: 'new words', draft_definition: cutoff(daysAgo(10)) });
    // The same instant written another way.
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: cutoff(`${daysAgo(10).slice(0, 10)}T00:00:00Z`) });
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: { ...cutoff(daysAgo(10)), conditions: [{ type: 'string', operator: 'exists', attribute_name: 'x' }] } });
    await call('POST', `${BASE}/${id}/activation`);
    expect(await seeded(id)).toBe(true);
    // A refused update changes nothing.
    await call('PUT', `${BASE}/${id}`, { name: uniqueName(), draft_definition: definition({ calculation_type: 'count' }) });
    expect(await seeded(id)).toBe(true);
  });

  it('forgets seeds when the name, the calculation type or the seeding cutoff date changes', async () => {
    const id = await create({ name: uniqueName('Seeded'), draft_definition: cutoff(daysAgo(10)) });
    await seed(id);
    const renamed = uniqueName('Seeded');
    await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: cutoff(daysAgo(10)) });
    expect(await seeded(id)).toBe(false);

    await seed(id);
    await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: { ...cutoff(daysAgo(10)), calculation_type: 'max' } });
    expect(await seeded(id)).toBe(false);

    await seed(id);
    await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: { ...cutoff(daysAgo(9)), calculation_type: 'max' } });
    expect(await seeded(id)).toBe(false);

    await seed(id);
    await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: { ...definition(), calculation_type: 'max' } });
    expect(await seeded(id)).toBe(false);
  });

  it('forgets seeds when discarding a draft leaves a definition they do not match', async () => {
    const name = uniqueName('Seeded');
    const id = await create({ name, draft_definition: cutoff(daysAgo(10)) });
    await call('POST', `${BASE}/${id}/activation`);
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: { ...cutoff(daysAgo(10)), calculation_type: 'count' } });
    await seed(id); // seeds of the draft (count)
    await call('DELETE', `${BASE}/${id}/draft`); // back to the active sum
    expect(await seeded(id)).toBe(false);
  });
});

describe("Calculated Attributes API: another workspace's attributes", () => {
  it('never shows them: 404 for their ids, absent from lists, names free to reuse', async () => {
    const name = uniqueName('Elsewhere');
    const theirs = await q.stores.calculated.create(OTHER_WS, {
      name,
      description: null,
      created_on: new Date().toISOString(),
      created_by: 'client_id:other',
      last_modified_on: null,
      last_modified_by: null,
      draft_definition: (await q.stores.calculated.get(workspaceId(1), await create({ name: uniqueName(), draft_definition: definition() })))!.draft_definition,
      active_definition: null,
      activated_on: null,
      activated_by: null,
      revision: 0,
    });
    if (theirs === 'name-taken') throw new Error('name taken');
    const id = theirs.id;
    for (const [method, path, payload] of [
      ['GET', '', undefined],
      ['PUT', '', { name: 'stolen', draft_definition: definition() }],
      ['DELETE', '', undefined],
      ['POST', '/activation', undefined],
      ['GET', '/activation', undefined],
      ['DELETE', '/draft', undefined],
      ['GET', '/calculation', undefined],
    ] as const) {
      const res = await call(method, `${BASE}/${id}${path}`, payload);
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(messages(res)).toEqual([`Calculated attribute ${id} was not found in workspace 1.`]);
    }
    expect(await q.stores.calculated.get(OTHER_WS, id)).toEqual(theirs);
    expect((await all()).some((a) => a.id === id)).toBe(false);
    expect((await call('GET', `${BASE}?name=${encodeURIComponent(name)}`)).json()).toEqual([]);
    expect((await call('HEAD', `${BASE}?name=${encodeURIComponent(name)}`)).statusCode).toBe(404);
    // Names are unique per workspace only.
    await create({ name, draft_definition: definition() });
    // The workspace's own routes show it.
    const listed = (await call('GET', base(OTHER_WS))).json() as Json[];
    expect(listed.map((a) => a.id)).toEqual([id]);
  });

  it("refuses another organisation's workspace (403)", async () => {
    for (const method of ['GET', 'POST'] as const) {
      const res = await call(method, base(FOREIGN_WS), method === 'POST' ? { name: 'x', draft_definition: definition() } : undefined);
      expect(res.statusCode).toBe(403);
    }
    expect(await q.stores.calculated.list(FOREIGN_WS)).toEqual([]);
  });
});

describe('Calculated Attributes API: OpenAPI', () => {
  it('documents every route with a summary and an example', async () => {
    const doc = (await q.app.inject('/openapi.json')).json() as { paths: Record<string, Record<string, Json>> };
    const expected = [
      ['get', ''],
      ['head', ''],
      ['post', ''],
      ['get', '/{id}'],
      ['put', '/{id}'],
      ['delete', '/{id}'],
      ['post', '/{id}/activation'],
      ['get', '/{id}/activation'],
      ['delete', '/{id}/draft'],
      ['get', '/{id}/calculation'],
    ];
    for (const [method, path] of expected) {
      const op = doc.paths[`/platform/v2/workspaces/{workspaceId}/calculatedattributes${path}`]?.[method!];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(typeof op!.summary).toBe('string');
      expect(JSON.stringify(op)).toMatch(/"example"/);
    }
  });
});
