import { describe, expect, it } from 'vitest';
import { bearerAuth, quantaApp } from '../../test/helpers/quanta-app.ts';
import { all, answered, BASE, BY, call, callOn, create, dataPoint, daysAgo, definition, get, type Json, messages, q, SINCE, uniqueName, useCalculatedApi } from '../../test/helpers/calculated-api.ts';

useCalculatedApi();

describe('Calculated Attributes API: create, read, list', () => {
  it('creates a draft and answers its integer id; reads it back with the documented fields', async () => {
    const res = await call('POST', BASE, { name: 'Purchases', description: 'Total spent', draft_definition: definition() });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const id = res.json() as number;
    expect(Number.isInteger(id)).toBe(true);

    const got = await call('GET', `${BASE}/${id}`);
    expect(got.statusCode).toBe(200);
    const body = got.json() as Json;
    expect(body).toEqual({
      id,
      name: 'Purchases',
      description: 'Total spent',
      created_by: BY,
      created_on: expect.any(String),
      last_modified_on: null,
      last_modified_by: null,
      active_definition: null,
      draft_definition: answered(),
      audience_count: 0,
      activated_on: null,
      activated_by: null,
    });
    expect(Date.parse(body.created_on as string)).toBeGreaterThan(Date.now() - 60_000);
    expect((await all()).find((a) => a.id === id)).toEqual(body);
  });

  it("accepts the data point as 'datapoint' or 'data_point', and answers it as 'datapoint'", async () => {
    const { datapoint, ...rest } = definition();
    const id = await create({ name: uniqueName(), draft_definition: { ...rest, data_point: datapoint } });
    expect((await get(id)).draft_definition).toEqual(answered());
    const other = await create({ name: uniqueName(), draft_definition: definition() });
    expect((await get(other)).draft_definition).toEqual(answered());
  });

  it('stores the documented create example (a commerce count with seeding)', async () => {
    const draft = {
      recipe_type: 'event',
      datapoint: {
        type: 'event',
        event_name: 'Add To Cart',
        attribute_name: null,
        event_type: 'commerce_event',
        custom_event_type: 'add_to_cart',
        attribute_category: 'product_attribute',
        use_product_quantity: true,
      },
      conditions: [],
      calculation_type: 'count',
      time_period: { type: 'since', date: SINCE, within: null, within_unit: null },
      seeding: { cutoff_date: daysAgo(28) },
    };
    const id = await create({ name: 'New Calculated Attribute', draft_definition: draft });
    expect(await get(id)).toMatchObject({ name: 'New Calculated Attribute', description: null, draft_definition: draft });
  });

  it('filters the list by name, whatever its case; HEAD answers 204 or 404 with no body', async () => {
    const name = uniqueName('Filter Me');
    const id = await create({ name, draft_definition: definition() });
    const listed = await call('GET', `${BASE}?name=${encodeURIComponent(name.toUpperCase())}`);
    expect(listed.statusCode).toBe(200);
    expect((listed.json() as Json[]).map((a) => a.id)).toEqual([id]);
    expect((await call('GET', `${BASE}?name=nobody`)).json()).toEqual([]);

    const found = await call('HEAD', `${BASE}?name=${encodeURIComponent(name)}`);
    expect(found.statusCode).toBe(204);
    expect(found.body).toBe('');
    const missing = await call('HEAD', `${BASE}?name=nobody`);
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toBe('');
    expect((await call('HEAD', BASE)).statusCode).toBe(204);
    const malformed = await call('HEAD', '/platform/v2/workspaces/abc/calculatedattributes');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['x-quanta-error-code']).toBe('QUANTA_HTTP_PATH_ID_INVALID');
  });

  it('answers HEAD 404 for a workspace without calculated attributes', async () => {
    const fresh = await quantaApp({ QUANTA_RATE_LIMIT: '0' });
    try {
      const head = await callOn(fresh, await bearerAuth(fresh))('HEAD', BASE);
      expect(head.statusCode).toBe(404);
      expect(head.body).toBe('');
    } finally {
      await fresh.close();
    }
  });

  it('lists in id order', async () => {
    const ids = (await all()).map((a) => a.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });
});

describe('Calculated Attributes API: validation', () => {
  const rejects = async (body: unknown, expected: (string | RegExp)[]) => {
    const before = await all();
    const res = await call('POST', BASE, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_CA_INVALID');
    expect((res.json() as { errors: { code: string }[] }).errors.every((e) => e.code === 'BAD_REQUEST')).toBe(true);
    expect(messages(res)).toEqual(expected.map((m) => (typeof m === 'string' ? m : expect.stringMatching(m))));
    expect(await all()).toEqual(before); // nothing stored
  };

  it('names every missing field', async () => {
    await rejects({ description: 'no name' }, ["Field 'name' is required.", "Field 'draft_definition' is required."]);
    await rejects({ name: '', draft_definition: definition() }, ["Field 'name' is required."]);
    await rejects({ name: '   ', draft_definition: definition() }, ["Field 'name' is required."]);
    await rejects({ name: null, draft_definition: definition() }, ["Field 'name' is required."]);
    await rejects({ name: 'no draft' }, ["Field 'draft_definition' is required."]);
    await rejects({ name: 'null draft', draft_definition: null }, ["Field 'draft_definition' is required."]);
  });

  it('refuses fields of the wrong type, and a body that is not an object', async () => {
    await rejects({ name: 5, draft_definition: definition() }, ["Field 'name' must be a string."]);
    await rejects({ name: uniqueName(), description: 5, draft_definition: definition() }, ["Field 'description' must be a string."]);
    await rejects([], ['The request body must be a JSON object.']);
    await rejects('"text"', ['The request body must be a JSON object.']);
  });

  it('refuses a name already used in the workspace, whatever its case, with the other problems', async () => {
    const name = uniqueName('Taken');
    await create({ name, draft_definition: definition() });
    await rejects({ name, draft_definition: definition() }, ["Field 'name' must be unique."]);
    await rejects({ name: name.toLowerCase(), draft_definition: definition() }, ["Field 'name' must be unique."]);
    await rejects({ name: name.toUpperCase(), draft_definition: definition({ recipe_type: 'user' }) }, [
      "Field 'name' must be unique.",
      'Invalid recipe type',
    ]);
  });

  const condition = (c: Json) => definition({ conditions: [{ attribute_name: 'genre', value: null, values: null, min_value: null, max_value: null, ...c }] });
  const cases: [string, Json, string | RegExp][] = [
    ['all time', definition({ time_period: { type: 'all' } }), "Field 'time_period.type' = 'all' is not supported."],
    ['since before the retention period', definition({ time_period: { type: 'since', date: daysAgo(400) } }), /^'time_period\.date' must be on or after the earliest date available of \d{4}-\d{2}-\d{2}$/],
    [
      'within longer than the retention period',
      definition({ time_period: { type: 'within', within: 53, within_unit: 'weeks' } }),
      'The within time period cannot exceed your configured retention period of 365 days for Calculated Attributes',
    ],
    ['recipe type', definition({ recipe_type: 'audience' }), 'Invalid recipe type'],
    ['calculation type', definition({ calculation_type: 'median' }), 'Invalid calculation type'],
    ['no time period', definition({ time_period: null }), 'Invalid time period specification'],
    ['time period type', definition({ time_period: { type: 'until' } }), "Invalid 'type' time period specification"],
    ['within', definition({ time_period: { type: 'within', within: 0, within_unit: 'days' } }), "Invalid 'within' time period specification"],
    ['within unit', definition({ time_period: { type: 'within', within: 3, within_unit: 'months' } }), "Invalid 'within_unit' time period specification"],
    ['custom event name', definition({ datapoint: { ...dataPoint, event_name: null } }), 'Invalid data point custom event name'],
    ['custom event type', definition({ datapoint: { ...dataPoint, custom_event_type: 'purchase' } }), 'Invalid data point custom event type'],
    ['conditions', definition({ conditions: 'genre = rock' }), 'Invalid condition definition'],
    ['condition type', condition({ type: 'list', operator: 'exists' }), 'Invalid condition definition type'],
    ['string operator', condition({ type: 'string', operator: 'greater_than', value: '1' }), 'Invalid string condition operator'],
    ['condition attribute', condition({ type: 'string', operator: 'exists', attribute_name: null }), 'Condition attribute name must be specified'],
    ['in-list values', condition({ type: 'string', operator: 'in_list' }), 'In-list condition values must be specified'],
    ['string value', condition({ type: 'string', operator: 'equals' }), 'String condition value must be specified'],
    ['numeric operator', condition({ type: 'number', operator: 'contains', value: '1' }), 'Invalid numeric condition operator'],
    ['numeric in-list', condition({ type: 'number', operator: 'in_list', values: ['one'] }), 'Invalid numeric in-list condition values'],
    ['numeric minimum', condition({ type: 'number', operator: 'between', min_value: 'low', max_value: '5' }), 'Invalid numeric condition minimum value'],
    ['numeric maximum', condition({ type: 'number', operator: 'between', min_value: '1', max_value: 'high' }), 'Invalid numeric condition maximum value'],
    ['numeric value', condition({ type: 'number', operator: 'equals', value: 'ten' }), 'Invalid numeric condition value'],
    ['boolean operator', condition({ type: 'boolean', operator: 'in_list', values: ['true'] }), 'Invalid boolean condition operator'],
    ['boolean value', condition({ type: 'boolean', operator: 'equals', value: 'maybe' }), 'Invalid boolean condition value'],
    ['date operator', condition({ type: 'date', operator: 'greater_than', value: '2025-01-01' }), 'Invalid date condition operator'],
    ['date minimum', condition({ type: 'date', operator: 'between_dates', min_value: 'then', max_value: '2025-01-01' }), 'Invalid date condition minimum value'],
    ['date maximum', condition({ type: 'date', operator: 'between_dates', min_value: '2025-01-01', max_value: 'later' }), 'Invalid date condition maximum value'],
    ['date value', condition({ type: 'date', operator: 'after', value: 'yesterday' }), 'Invalid date condition value'],
    ['value of a range', condition({ type: 'number', operator: 'between', value: '3', min_value: '1', max_value: '5' }), 'Condition value must be empty'],
    ['values of a single value', condition({ type: 'string', operator: 'equals', value: 'rock', values: ['pop'] }), 'Condition values must be empty'],
    ['minimum of a single value', condition({ type: 'string', operator: 'equals', value: 'rock', min_value: 'a' }), 'Condition minimum value must be empty'],
    ['maximum of a single value', condition({ type: 'string', operator: 'equals', value: 'rock', max_value: 'z' }), 'Condition maximum value must be empty'],
  ];
  it.each(cases)('answers the documented message: %s', async (_what, draft, message) => {
    await rejects({ name: uniqueName('invalid'), draft_definition: draft }, [message]);
  });

  it('answers a malformed id as a 400, an unknown one as a 404 with the errors body', async () => {
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999']) {
      const res = await call('GET', `${BASE}/${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.headers['x-quanta-error-code']).toBe('QUANTA_HTTP_PATH_ID_INVALID');
    }
    const unknown = await call('GET', `${BASE}/987654`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['x-quanta-error-code']).toBe('QUANTA_CA_NOT_FOUND');
    expect(unknown.json()).toEqual({ errors: [{ code: 'NOT_FOUND', message: 'Calculated attribute 987654 was not found in workspace 1.' }] });
  });

  it('wants a Bearer token', async () => {
    expect((await q.app.inject({ method: 'GET', url: BASE })).statusCode).toBe(401);
    expect((await q.app.inject({ method: 'POST', url: BASE, payload: { name: 'x' } })).statusCode).toBe(401);
  });
});

describe('Calculated Attributes API: update', () => {
  it('replaces the draft and the description (204), stamping the change', async () => {
    const id = await create({ name: uniqueName(), description: 'first', draft_definition: definition() });
    const name = (await get(id)).name as string;
    const res = await call('PUT', `${BASE}/${id}`, { name, description: 'second', draft_definition: definition({ calculation_type: 'max' }) });
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    const after = await get(id);
    expect(after).toMatchObject({ name, description: 'second', draft_definition: answered({ calculation_type: 'max' }), last_modified_by: BY });
    expect(Date.parse(after.last_modified_on as string)).toBeGreaterThan(Date.now() - 60_000);

    // Without a description it is kept; null clears it.
    await call('PUT', `${BASE}/${id}`, { name, draft_definition: definition() });
    expect((await get(id)).description).toBe('second');
    await call('PUT', `${BASE}/${id}`, { name, description: null, draft_definition: definition() });
    expect((await get(id)).description).toBeNull();
  });

  it('renames before the first activation, to a name not used in the workspace', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    const renamed = uniqueName('Renamed');
    expect((await call('PUT', `${BASE}/${id}`, { name: renamed, draft_definition: definition() })).statusCode).toBe(204);
    expect((await get(id)).name).toBe(renamed);
    // A change of case is a rename too.
    expect((await call('PUT', `${BASE}/${id}`, { name: renamed.toUpperCase(), draft_definition: definition() })).statusCode).toBe(204);
    expect((await get(id)).name).toBe(renamed.toUpperCase());

    const other = uniqueName('Other');
    await create({ name: other, draft_definition: definition() });
    const before = await get(id);
    const taken = await call('PUT', `${BASE}/${id}`, { name: other.toLowerCase(), draft_definition: definition({ calculation_type: 'min' }) });
    expect(taken.statusCode).toBe(400);
    expect(messages(taken)).toEqual(["Field 'name' must be unique."]);
    expect(await get(id)).toEqual(before);
  });

  it('keeps the name once activated: only the description and the draft change', async () => {
    const name = uniqueName('Active');
    const id = await create({ name, draft_definition: definition() });
    expect((await call('POST', `${BASE}/${id}/activation`)).statusCode).toBe(204);
    const before = await get(id);
    const refused = await call('PUT', `${BASE}/${id}`, { name: uniqueName('New Name'), description: 'changed', draft_definition: definition() });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers['x-quanta-error-code']).toBe('QUANTA_CA_INVALID');
    expect(messages(refused)).toEqual(['Calculated attribute name cannot be changed once the calculated attribute has been activated.']);
    const caseOnly = await call('PUT', `${BASE}/${id}`, { name: name.toUpperCase(), draft_definition: definition() });
    expect(messages(caseOnly)).toEqual(['Calculated attribute name cannot be changed once the calculated attribute has been activated.']);
    expect(await get(id)).toEqual(before);

    const kept = await call('PUT', `${BASE}/${id}`, { name, description: 'changed', draft_definition: definition({ calculation_type: 'average' }) });
    expect(kept.statusCode).toBe(204);
    expect(await get(id)).toMatchObject({
      name,
      description: 'changed',
      active_definition: answered(),
      draft_definition: answered({ calculation_type: 'average' }),
    });
  });

  it('answers the create validation messages, and stores nothing', async () => {
    const id = await create({ name: uniqueName(), draft_definition: definition() });
    const before = await get(id);
    const res = await call('PUT', `${BASE}/${id}`, { description: 'x', draft_definition: definition({ time_period: { type: 'all' } }) });
    expect(res.statusCode).toBe(400);
    expect(messages(res)).toEqual(["Field 'name' is required.", "Field 'time_period.type' = 'all' is not supported."]);
    const noDraft = await call('PUT', `${BASE}/${id}`, { name: before.name });
    expect(messages(noDraft)).toEqual(["Field 'draft_definition' is required."]);
    expect(await get(id)).toEqual(before);
  });

  it('answers 404 for an unknown id', async () => {
    const res = await call('PUT', `${BASE}/987654`, { name: 'x', draft_definition: definition() });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-quanta-error-code']).toBe('QUANTA_CA_NOT_FOUND');
  });
});

