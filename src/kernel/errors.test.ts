import { describe, expect, it } from 'vitest';
import { BadRequest, defineError, NotFound, problem, problemList, QuantaError, registeredErrors } from './errors.ts';

const Missing = defineError('QUANTA_TEST_THING_MISSING', {
  status: 404,
  message: (thing: string, ws: number) => `No ${thing} in workspace ${ws}.`,
});
const Invalid = defineError('QUANTA_TEST_THING_INVALID', { status: 400, message: problemList });
const Throttled = defineError('QUANTA_TEST_THING_THROTTLED', {
  status: 429,
  message: (seconds: number) => `Retry after ${seconds} s.`,
  headers: (seconds: number) => ({ 'retry-after': String(seconds) }),
});
const Refused = defineError('QUANTA_TEST_GRANT_REFUSED', { status: 400, bodyCode: 'UNSUPPORTED_GRANT_TYPE', message: () => 'No.' });

describe('defineError', () => {
  it('makes a class of the status, with the registered code, the body word and the typed message', () => {
    const error = new Missing('plan', 3);
    expect(error).toBeInstanceOf(NotFound);
    expect(error).toBeInstanceOf(QuantaError);
    expect(error).toBeInstanceOf(Missing);
    expect({ code: error.code, status: error.status, bodyCode: error.bodyCode, message: error.message }).toEqual({
      code: 'QUANTA_TEST_THING_MISSING',
      status: 404,
      bodyCode: 'NOT_FOUND',
      message: 'No plan in workspace 3.',
    });
    expect(error.details()).toEqual([{ code: 'NOT_FOUND', message: 'No plan in workspace 3.' }]);
    expect(String(error.stack)).toMatch(/^QUANTA_TEST_THING_MISSING: No plan/);
  });

  it('keeps every problem of an error that has several, each shown with the body word', () => {
    const error = new Invalid([problem('a is missing.'), problem('b is not a number.')]);
    expect(error).toBeInstanceOf(BadRequest);
    expect(error.problems).toEqual(['a is missing.', 'b is not a number.']);
    expect(error.message).toBe('a is missing.; b is not a number.');
    expect(error.details()).toEqual([
      { code: 'BAD_REQUEST', message: 'a is missing.' },
      { code: 'BAD_REQUEST', message: 'b is not a number.' },
    ]);
  });

  it('takes headers from the arguments, and a body word other than the status one', () => {
    expect(new Throttled(7).headers).toEqual({ 'retry-after': '7' });
    expect(new Refused().details()).toEqual([{ code: 'UNSUPPORTED_GRANT_TYPE', message: 'No.' }]);
  });

  it('refuses a code defined twice, or not of the form QUANTA_<AREA>_<WHAT>', () => {
    expect(() => defineError('QUANTA_TEST_THING_MISSING', { status: 404, message: () => 'again' })).toThrow(/defined twice/);
    expect(() => defineError('QUANTA_THING', { status: 400, message: () => 'x' })).toThrow(/QUANTA_<AREA>_<WHAT>/);
  });

  it('lists every registered code', () => {
    expect(registeredErrors()).toEqual(
      expect.arrayContaining([
        { code: 'QUANTA_TEST_THING_MISSING', status: 404, bodyCode: 'NOT_FOUND' },
        { code: 'QUANTA_TEST_GRANT_REFUSED', status: 400, bodyCode: 'UNSUPPORTED_GRANT_TYPE' },
      ]),
    );
  });
});
